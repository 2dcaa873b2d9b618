#!/usr/bin/python3
"""Prints bench/run.sh's tables from its raw results (one JSON object per line).

    /usr/bin/python3 bench/summarize.py RESULTS.jsonl [--meta key=value ...]

Latency: per (model, threads, implementation) the median over rounds of each process's median, the spread of
those round medians, and the ratio onnxq / onnxruntime (> 1: onnxq is slower). Calibration: median over rounds of
onnxq_bench --calib's median samples/s. Profile: the op types that take most of onnxq's time. Tables are Markdown.
"""
import argparse
import json
import statistics
from collections import defaultdict


def fmt_ms(x):
    return '%.4f' % x if x < 0.1 else '%.3f' % x if x < 10 else '%.1f' % x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('results')
    ap.add_argument('--meta', action='append', default=[])
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.strip()]

    lat = defaultdict(list)  # (name, threads, impl) -> per-round medians
    order = []  # (name, threads) in first-seen order
    calib, calib_order, prof = defaultdict(list), [], []  # calib: (name, threads) -> per-round results
    errors = {}  # (name, impl) -> message
    for r in rows:
        if 'error' in r:
            errors.setdefault(r['name'], r['error'])
            continue
        res = r['result']
        if res['mode'] == 'calib':
            key = (r['name'], res['threads'])
            if key not in calib_order:
                calib_order.append(key)
            calib[key].append(res)
        elif 'profile' in res:
            prof.append((r['name'], res))
        else:
            key = (r['name'], res['threads'])
            if key not in order:
                order.append(key)
            lat[key + (res['impl'],)].append(res['median_ms'])

    if args.meta:
        print(' '.join(args.meta))
        print()
    print('| model | threads | onnxq median ms | onnxruntime median ms | ratio onnxq/ort | onnxq rounds min..max '
          '| ort rounds min..max |')
    print('|---|---:|---:|---:|---:|---:|---:|')
    exec_median = {}
    for name, t in order:
        a, b = lat[(name, t, 'onnxq')], lat[(name, t, 'onnxruntime')]
        if not a or not b:
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        exec_median[(name, t)] = ma
        print('| %s | %d | %s | %s | %s | %s..%s | %s..%s |' %
              (name, t, fmt_ms(ma), fmt_ms(mb), '%.2f' % (ma / mb) if ma / mb >= 0.1 else '%.2g' % (ma / mb), fmt_ms(min(a)), fmt_ms(max(a)), fmt_ms(min(b)),
               fmt_ms(max(b))))

    for name, msg in errors.items():
        print('| %s | - | fails | | | %s | |' % (name, msg.replace('|', '/')))

    if calib:
        print()
        print('| calibration (onnxq quantize) | samples | threads | samples/s median | rounds min..max | '
              'plain run samples/s (1 thread, 1000 / latency median) |')
        print('|---|---:|---:|---:|---:|---:|')
        for name, t in calib_order:
            sps = [res['samples_per_s'] for res in calib[(name, t)]]
            plain = exec_median.get((name, 1))
            print('| %s | %d | %d | %.0f | %.0f..%.0f | %s |' %
                  (name, calib[(name, t)][0]['samples'], t, statistics.median(sps), min(sps), max(sps),
                   '%.0f' % (1000.0 / plain) if plain else '-'))

    if prof:
        print()
        print('Where onnxq spends its time (observer-timed runs, share of wall time per op type):')
        print()
        for name, res in prof:
            top = ', '.join('%s %.0f%% (%d)' % (p['op'], p['share_pct'], p['nodes']) for p in res['profile'][:5])
            print('- %s, %d thread(s), %s ms/run: %s' % (name, res['threads'], fmt_ms(res['profile_wall_ms']), top))


if __name__ == '__main__':
    main()
