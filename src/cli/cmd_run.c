/* onnxq run: runs one sample folder through the executor and writes every graph output as .npy. Outputs are
 * staged under temporary names and renamed only when all of them were written, so a failure leaves OUT_DIR as it
 * was (folders this command created are removed again). */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char k_help[] =
    "Usage: onnxq run MODEL --inputs SAMPLE_DIR -o OUT_DIR [--threads N] [--repeat R] [--stats]\n"
    "\n"
    "Runs MODEL on onnxq's CPU executor with the tensors of one sample folder (one <input name>.npy or\n"
    "input_<k>.pb per model input, see docs/file-formats.md) and writes each graph output to\n"
    "OUT_DIR/<output name>.npy (characters other than letters, digits, '.', '_' and '-' become '_').\n"
    "OUT_DIR is created when missing. On failure nothing is written.\n"
    "\n"
    "Options:\n"
    "  -i, --inputs SAMPLE_DIR   sample folder holding the model inputs\n"
    "  -o, --output OUT_DIR      folder for the outputs\n"
    "  -t, --threads N           threads the kernels split their work over (default: the number of\n"
    "                            online cores); the outputs are bit-identical for every N\n"
    "  -r, --repeat R            run the same inputs R times (default 1); the outputs are written once\n"
    "      --stats               print the median latency of the runs and the peak activation memory\n"
    "      --no-reuse            debug: give every intermediate a fresh buffer (same outputs)\n"
    "      --max-tensor-bytes B  no tensor may hold more than B bytes (default: 4 GiB)\n"
    "      --max-seconds S       stop with an error when a node would start after S seconds (default: none)\n"
    "  -h, --help                show this help and exit\n";

#define MAX_CREATED 64

/* Folders created by mkdir_p, deepest last, so they can be removed in reverse on failure. */
typedef struct created_dirs {
  char *paths[MAX_CREATED]; /* owned */
  int n;                    /* entries used */
} created_dirs;

static int mkdir_p(const char *path, created_dirs *made) {
  size_t len = strlen(path);
  char *buf = malloc(len + 1);
  if (!buf) return cli_fail("out of memory");
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (i < len && buf[i] != '/') continue;
    if (i < len && buf[i - 1] == '/') continue;
    char saved = buf[i];
    buf[i] = '\0';
    struct stat sb;
    if (stat(buf, &sb) == 0) {
      if (!S_ISDIR(sb.st_mode)) {
        int rc = cli_fail("%s: not a directory", buf);
        free(buf);
        return rc;
      }
    } else if (mkdir(buf, 0777) == 0) {
      if (made->n < MAX_CREATED) made->paths[made->n++] = strdup(buf);
    } else if (errno != EEXIST) {
      int rc = cli_fail("%s: cannot create folder: %s", buf, strerror(errno));
      free(buf);
      return rc;
    }
    buf[i] = saved;
  }
  free(buf);
  return CLI_EXIT_OK;
}

static void undo_dirs(created_dirs *made, int remove) {
  for (int i = made->n - 1; i >= 0; i--) {
    if (remove && made->paths[i]) rmdir(made->paths[i]);
    free(made->paths[i]);
  }
  made->n = 0;
}

static char *path_join(const char *dir, const char *name) {
  size_t dl = strlen(dir), nl = strlen(name);
  while (dl > 1 && dir[dl - 1] == '/') dl--;
  char *p = malloc(dl + nl + 2);
  if (!p) return NULL;
  memcpy(p, dir, dl);
  p[dl] = '/';
  memcpy(p + dl + 1, name, nl + 1);
  return p;
}

typedef struct stem_ref {
  const char *stem; /* borrowed */
  int32_t index;    /* output index */
} stem_ref;

static int cmp_stem_ref(const void *a, const void *b) {
  const stem_ref *x = a, *y = b;
  int c = strcmp(x->stem, y->stem);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The first output k (in output order) whose stem an earlier output j already has: *first = j, *second = k.
 * Returns 1 when found, 0 when all stems differ, -1 when out of memory. Sorting keeps this O(n log n) for a
 * hostile model listing a hundred thousand outputs. */
static int find_stem_clash(char **stems, int32_t n, int32_t *first, int32_t *second) {
  if (n < 2) return 0;
  stem_ref *order = malloc((size_t)n * sizeof *order);
  if (!order) return -1;
  for (int32_t i = 0; i < n; i++) order[i] = (stem_ref){stems[i], i};
  qsort(order, (size_t)n, sizeof *order, cmp_stem_ref);
  int found = 0;
  for (int32_t i = 0; i < n;) {
    int32_t e = i + 1; /* [i, e): one stem, indices ascending */
    while (e < n && strcmp(order[e].stem, order[i].stem) == 0) e++;
    if (e - i > 1 && (!found || order[i + 1].index < *second)) {
      *first = order[i].index;
      *second = order[i + 1].index;
      found = 1;
    }
    i = e;
  }
  free(order);
  return found;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The default thread count: the online cores, within 1..1024. */
static int32_t default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 1024 ? 1024 : (int32_t)n;
}

int cli_run(int argc, char **argv) {
  if (cli_take_limits("run", &argc, argv)) return CLI_EXIT_FAIL; /* --max-tensor-bytes, --max-seconds */
  static const struct option opts[] = {
      {"inputs", required_argument, NULL, 'i'},  {"output", required_argument, NULL, 'o'},
      {"threads", required_argument, NULL, 't'}, {"repeat", required_argument, NULL, 'r'},
      {"stats", no_argument, NULL, 'S'},         {"no-reuse", no_argument, NULL, 'N'},
      {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
  const char *in_dir = NULL, *out_dir = NULL;
  int32_t threads = default_threads();
  uint64_t repeat = 1;
  int stats = 0, no_reuse = 0;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hi:o:t:r:", opts, NULL)) != -1) {
    switch (c) {
    case 'i': in_dir = optarg; break;
    case 'o': out_dir = optarg; break;
    case 't':
      if (!cli_parse_threads(optarg, &threads))
        return cli_usage_error("run", "--threads needs a number from 1 to 1024, got '%s'", optarg);
      break;
    case 'r':
      if (!cli_parse_u64(optarg, &repeat) || repeat < 1 || repeat > 1000000)
        return cli_usage_error("run", "--repeat needs a number from 1 to 1000000, got '%s'", optarg);
      break;
    case 'S': stats = 1; break;
    case 'N': no_reuse = 1; break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: return cli_bad_option("run", c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error("run", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("run", "unexpected argument '%s'", argv[optind + 1]);
  if (!in_dir || !*in_dir) return cli_usage_error("run", "missing --inputs SAMPLE_DIR");
  if (!out_dir || !*out_dir) return cli_usage_error("run", "missing -o OUT_DIR");
  const char *model_path = argv[optind];
  if (cli_same_file(model_path, out_dir)) return cli_fail("%s: output would overwrite the input model", out_dir);

  int rc = CLI_EXIT_FAIL;
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *session = NULL;
  oq_tensor *inputs = NULL, *outputs = NULL;
  char **stems = NULL, **finals = NULL, **temps = NULL;
  double *times = NULL;
  int32_t n_in = 0, n_out = 0, renamed = 0;
  created_dirs made = {{NULL}, 0};

  if (oq_model_load(model_path, &model, &err) != OQ_OK) {
    rc = cli_fail_err(model_path, &err);
    goto done;
  }
  n_in = oq_model_input_count(model);
  n_out = oq_model_output_count(model);
  inputs = calloc(n_in ? (size_t)n_in : 1, sizeof *inputs);
  outputs = calloc(n_out ? (size_t)n_out : 1, sizeof *outputs);
  stems = calloc(n_out ? (size_t)n_out : 1, sizeof *stems);
  finals = calloc(n_out ? (size_t)n_out : 1, sizeof *finals);
  temps = calloc(n_out ? (size_t)n_out : 1, sizeof *temps);
  if (!inputs || !outputs || !stems || !finals || !temps) {
    rc = cli_fail("out of memory");
    goto done;
  }

  /* Output file names are known from the model: refuse collisions before running anything. */
  for (int32_t k = 0; k < n_out; k++)
    if (oq_sample_file_stem(oq_model_output_name(model, k), &stems[k], &err) != OQ_OK) {
      rc = cli_fail("out of memory");
      goto done;
    }
  int32_t j = -1, k2 = -1;
  int clash = find_stem_clash(stems, n_out, &j, &k2);
  if (clash < 0) {
    rc = cli_fail("out of memory");
    goto done;
  }
  if (clash) {
    rc = cli_fail("%s: outputs '%s' and '%s' would both be written to %s.npy", model_path,
                  oq_model_output_name(model, j), oq_model_output_name(model, k2), stems[k2]);
    goto done;
  }

  if (oq_sample_load(model, in_dir, n_in, inputs, &err) != OQ_OK) {
    rc = cli_fail_err(in_dir, &err);
    goto done;
  }
  oq_session_options so;
  oq_session_options_init(&so);
  so.threads = threads;
  so.no_reuse = no_reuse;
  times = malloc((size_t)repeat * sizeof *times);
  if (!times) {
    rc = cli_fail("out of memory");
    goto done;
  }
  if (oq_session_create(model, &so, &session, &err) != OQ_OK) {
    rc = cli_fail_err(model_path, &err);
    goto done;
  }
  /* every run but the last releases its outputs: the last one's are written */
  for (uint64_t r = 0; r < repeat; r++) {
    double t0 = now_ms();
    oq_status st = oq_session_run(session, n_in, inputs, n_out, outputs, &err);
    times[r] = now_ms() - t0;
    if (st != OQ_OK) {
      rc = cli_fail_err(model_path, &err);
      goto done;
    }
    if (r + 1 < repeat)
      for (int32_t k = 0; k < n_out; k++) oq_tensor_release(&outputs[k]);
  }
  if (stats) {
    size_t peak = 0, scratch = 0;
    oq_session_memory(session, &peak, &scratch);
    qsort(times, (size_t)repeat, sizeof *times, cmp_double);
    double median = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
    printf("runs: %llu, threads: %d\n", (unsigned long long)repeat, (int)threads);
    printf("latency ms: median %.3f, min %.3f, max %.3f\n", median, times[0], times[repeat - 1]);
    printf("peak activation memory: %zu bytes (%.1f MiB), kernel scratch: %zu bytes (%.1f MiB)\n", peak,
           (double)peak / 1048576.0, scratch, (double)scratch / 1048576.0);
  }

  if (mkdir_p(out_dir, &made) != CLI_EXIT_OK) goto done;
  for (int32_t k = 0; k < n_out; k++) {
    size_t sl = strlen(stems[k]);
    char *fname = malloc(sl + 5), *tname = malloc(sl + 64);
    if (fname) snprintf(fname, sl + 5, "%s.npy", stems[k]);
    if (tname) snprintf(tname, sl + 64, ".%s.npy.onnxq-%ld", stems[k], (long)getpid());
    finals[k] = fname ? path_join(out_dir, fname) : NULL;
    temps[k] = tname ? path_join(out_dir, tname) : NULL;
    free(fname);
    free(tname);
    if (!finals[k] || !temps[k]) {
      rc = cli_fail("out of memory");
      goto done;
    }
    if (oq_npy_save(temps[k], &outputs[k], &err) != OQ_OK) {
      /* name the real destination, not the staging file */
      const char *msg = err.msg;
      size_t tl = strlen(temps[k]);
      if (strncmp(msg, temps[k], tl) == 0) msg += tl;
      if (msg == err.msg)
        rc = cli_fail("%s: %s", finals[k], msg);
      else
        rc = cli_fail("%s%s", finals[k], msg);
      free(temps[k]);
      temps[k] = NULL;
      goto done;
    }
  }
  for (int32_t k = 0; k < n_out; k++) {
    if (rename(temps[k], finals[k]) != 0) {
      rc = cli_fail("%s: cannot write: %s", finals[k], strerror(errno));
      goto done;
    }
    free(temps[k]);
    temps[k] = NULL;
    renamed = k + 1;
  }
  rc = CLI_EXIT_OK;

done:
  for (int32_t k = 0; temps && k < n_out; k++)
    if (temps[k]) {
      unlink(temps[k]);
      free(temps[k]);
    }
  /* a rename failed part-way: outputs already moved into place were written by this run, take them back */
  for (int32_t k = 0; rc != CLI_EXIT_OK && k < renamed; k++) unlink(finals[k]);
  undo_dirs(&made, rc != CLI_EXIT_OK);
  for (int32_t k = 0; finals && k < n_out; k++) free(finals[k]);
  for (int32_t k = 0; stems && k < n_out; k++) oq_free(stems[k]);
  for (int32_t k = 0; inputs && k < n_in; k++) oq_tensor_release(&inputs[k]);
  for (int32_t k = 0; outputs && k < n_out; k++) oq_tensor_release(&outputs[k]);
  free(times);
  free(temps);
  free(finals);
  free(stems);
  free(inputs);
  free(outputs);
  oq_session_free(session);
  oq_model_free(model);
  if (rc == CLI_EXIT_OK) rc = cli_finish_stdout();
  return rc;
}
