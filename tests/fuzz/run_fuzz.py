#!/usr/bin/python3
"""Runs every mutant made by gen_mutants.py through `onnxq run` and `onnxq quantize` and classifies the outcome.

    /usr/bin/python3 tests/fuzz/run_fuzz.py ONNXQ MUTANT_DIR [--jobs N] [--timeout S] [--mem-mb MB] [--asan]

Classes: OK (exit 0, outputs written), ERR (a clean refusal: exit 1, nothing on stdout, exactly one stderr line
starting "onnxq: ", nothing left in the output folder) and BUG (anything else: sanitizer report, signal, other exit
status, several stderr lines, timeout, leftovers). Memory is capped: with --asan through ASan's own limits
(max_allocation_size_mb with allocator_may_return_null=1 behaves like a failing malloc, hard_rss_limit_mb catches
what is actually touched), otherwise with RLIMIT_AS. Writes MUTANT_DIR/results.tsv and prints counts per base and
class, then every BUG.
"""
import argparse
import collections
import concurrent.futures
import os
import resource
import shutil
import subprocess
import sys
import zlib


# ASan's note when max_allocation_size_mb refuses an allocation (emulating a failing malloc): not a finding.
ALLOC_NOTE = "WARNING: AddressSanitizer failed to allocate"


def classify(rc, out, err, leftovers, cmd, timed_out):
    lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ALLOC_NOTE not in ln]
    first = lines[0] if lines else ""
    if timed_out:
        return "BUG", "timeout", first
    if rc == 0:
        if cmd == "quantize" and not leftovers:
            return "BUG", "exit 0 but no output", first
        if lines:
            return "BUG", "exit 0 with stderr", first
        return "OK", "", first
    if rc != 1:
        why = f"signal {-rc}" if rc < 0 else f"exit {rc}"
        for ln in lines:
            if "Sanitizer" in ln or "runtime error" in ln:
                return "BUG", why + ": " + ln.strip()[:200], first
        return "BUG", why, first
    if len(lines) != 1:
        for ln in lines:
            if "Sanitizer" in ln or "runtime error" in ln or "LeakSanitizer" in ln:
                return "BUG", "sanitizer: " + ln.strip()[:200], first
        return "BUG", f"{len(lines)} stderr lines", first
    if not first.startswith("onnxq: "):
        return "BUG", "stderr does not start with 'onnxq: '", first
    if out:
        return "BUG", "stdout not empty on failure", first
    if leftovers:
        return "BUG", "left " + ",".join(leftovers), first
    return "ERR", "", first


def asan_env(mem_mb):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:"
                           f"max_allocation_size_mb={mem_mb}:hard_rss_limit_mb={mem_mb}:disable_coredump=1")
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    return env


def invoke(argv, timeout, mem_mb, asan):
    """Runs one onnxq command under the memory cap; returns (rc, stdout, stderr, timed_out)."""
    env = asan_env(mem_mb) if asan else dict(os.environ)

    def pre():
        if not asan:  # ASan reserves terabytes of address space: RLIMIT_AS would stop it from starting
            lim = mem_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, env=env, preexec_fn=pre)
        return p.returncode, p.stdout, p.stderr, False
    except subprocess.TimeoutExpired as e:
        return -9, e.stdout or b"", e.stderr or b"", True


def npy_signature(folder):
    """{file: (dtype, shape)} of the .npy files in folder."""
    import numpy as np
    out = {}
    for f in sorted(os.listdir(folder)):
        with open(os.path.join(folder, f), "rb") as fh:  # header only: numpy refuses to load [0, 2^40, 2^40]
            version = np.lib.format.read_magic(fh)
            shape, _, dtype = np.lib.format._read_array_header(fh, version)
        out[f] = (str(dtype), shape)
    return out


def run_mutant(onnxq, mdir, cmds, timeout, mem_mb, asan, threads):
    """run and quantize one mutant; when both succeed, also runs the quantized model on the same sample
    ("qrun"): it must succeed and give outputs of the same names, dtypes and shapes, or the quantizer wrote a
    broken model without saying so."""
    results = {}
    work = os.path.join(mdir, "work")
    shutil.rmtree(work, ignore_errors=True)
    model = os.path.join(mdir, "model.onnx")
    extra = ["--threads", str(threads)] if threads > 1 else []
    for cmd in cmds:
        wd = os.path.join(work, cmd)
        os.makedirs(wd)
        if cmd == "run":
            argv = [onnxq, "run", model, "--inputs", os.path.join(mdir, "inputs"), "-o", os.path.join(wd, "res")]
        else:
            argv = [onnxq, "quantize", model, "--calib", os.path.join(mdir, "calib"), "-o", os.path.join(wd, "q.onnx")]
        rc, out, err, timed_out = invoke(argv + extra, timeout, mem_mb, asan)
        cls, why, first = classify(rc, out, err, sorted(os.listdir(wd)), cmd, timed_out)
        if cls == "BUG":
            with open(os.path.join(mdir, f"bug_{cmd}.txt"), "wb") as fh:
                fh.write(b" ".join(a.encode() for a in argv + extra) + b"\n" + err[-20000:])
        results[cmd] = (cls, why, first, rc)
    if results.get("run", ("",))[0] == "OK" and results.get("quantize", ("",))[0] == "OK":
        wd = os.path.join(work, "qrun")
        os.makedirs(wd)
        argv = [onnxq, "run", os.path.join(work, "quantize", "q.onnx"), "--inputs", os.path.join(mdir, "inputs"),
                "-o", os.path.join(wd, "res")]
        rc, out, err, timed_out = invoke(argv + extra, timeout, mem_mb, asan)
        cls, why, first = classify(rc, out, err, sorted(os.listdir(wd)), "run", timed_out)
        if cls == "ERR":
            cls, why = "BUG", "quantized model fails where the float model runs"
        elif cls == "OK":
            a, b = npy_signature(os.path.join(work, "run", "res")), npy_signature(os.path.join(wd, "res"))
            if a != b:
                cls, why = "BUG", f"quantized model outputs differ in name/dtype/shape: {a} vs {b}"[:300]
        if cls == "BUG":
            with open(os.path.join(mdir, "bug_qrun.txt"), "wb") as fh:
                fh.write(b" ".join(x.encode() for x in argv + extra) + b"\n" + why.encode() + b"\n" + err[-20000:])
        results["qrun"] = (cls, why, first, rc)
    shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("onnxq")
    ap.add_argument("mutants")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--mem-mb", type=int, default=4096)
    ap.add_argument("--asan", action="store_true")
    ap.add_argument("--cmds", default="run,quantize")
    ap.add_argument("--threads", type=int, default=1, help="up to this many threads, chosen per mutant")
    ap.add_argument("--recheck", default=None,
                    help="plain (non-sanitizer) onnxq: timeouts are run again with it and 6x the time; those that "
                         "then finish are classed SLOW (legitimately big work, e.g. a 3 GB Range) instead of BUG")
    args = ap.parse_args()
    onnxq = os.path.abspath(args.onnxq)
    rows = [ln.rstrip("\n").split("\t") for ln in open(os.path.join(args.mutants, "manifest.tsv"))]
    results = []
    cmds = args.cmds.split(",")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        futs = {ex.submit(run_mutant, onnxq, r[2], cmds, args.timeout, args.mem_mb, args.asan,
                          1 + zlib.crc32(r[0].encode()) % args.threads): r for r in rows}
        for f in concurrent.futures.as_completed(futs):
            r = futs[f]
            for c, res in f.result().items():
                results.append((r, c) + res)
    if args.recheck:
        plain = os.path.abspath(args.recheck)
        for i, (r, c, cls, why, first, rc) in enumerate(results):
            if cls != "BUG" or why != "timeout":
                continue
            res = run_mutant(plain, r[2], [c] if c != "qrun" else cmds, args.timeout * 6, args.mem_mb, False,
                             1 + zlib.crc32(r[0].encode()) % args.threads)
            again = res.get(c)
            if again and again[0] in ("OK", "ERR"):
                results[i] = (r, c, "SLOW", f"finished in the plain build ({again[0]})", again[2], again[3])
    results.sort(key=lambda x: (x[0][0], x[1]))
    with open(os.path.join(args.mutants, "results.tsv"), "w") as fh:
        for r, c, cls, why, first, rc in results:
            fh.write(f"{r[0]}\t{c}\t{cls}\t{rc}\t{why}\t{first}\t{r[3]}\n")
    per_base = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    for r, c, cls, why, first, rc in results:
        per_base[r[1]][(c, cls)] += 1
        totals[(c, cls)] += 1
    print(f"{len(rows)} mutants of {len(per_base)} bases, {len(results)} runs")
    classes = ("OK", "ERR", "SLOW", "BUG")
    for c in cmds + ["qrun"]:
        print(f"  {c}: " + "  ".join(f"{k}={totals[(c, k)]}" for k in classes))
    with open(os.path.join(args.mutants, "per_base.tsv"), "w") as fh:
        fh.write("base\tmutants\t" + "\t".join(f"{c}_{k}" for c in cmds + ["qrun"] for k in classes) + "\n")
        n_by_base = collections.Counter(r[1] for r in rows)
        for b in sorted(per_base):
            fh.write(f"{b}\t{n_by_base[b]}\t" + "\t".join(str(per_base[b][(c, k)]) for c in cmds + ["qrun"]
                                                           for k in classes) + "\n")
    bugs = [x for x in results if x[2] == "BUG"]
    for r, c, cls, why, first, rc in bugs:
        print(f"BUG {r[0]} {c}: {why} | {first[:160]} | {r[3][:160]}")
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
