/* Conv (float32, any spatial rank up to OQ_MAX_DIMS - 2, groups, dilations, strides, pads/auto_pad, bias): shape
 * checks, output and scratch through the executor, numerics in kern/conv.c (im2col + sgemm, or the direct
 * reference loops with call->reference). */
#include "core/pool.h"
#include "kern/conv.h"
#include "kern/cpu.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

/* Grows *pp by room for W packed when the node is a float Conv whose W is an initializer that the packed path can
 * use (else leaves it). Fails only for lack of memory (*pp is then still valid). */
static oq_status conv_wpack_room(const oq_op_init_ctx *ctx, oq_conv_params **pp, oq_error *err) {
  oq_conv_params *p = *pp;
  const Onnx__TensorProto *w = oq_init_const_input(ctx, 1);
  if (!w || strcmp(ctx->node->proto->op_type, "Conv") != 0 || w->data_type != OQ_DTYPE_FLOAT || w->n_dims < 3 ||
      w->n_dims > OQ_MAX_DIMS)
    return OQ_OK;
  int64_t rows = 1;
  for (size_t i = 1; i < w->n_dims; i++) {
    if (w->dims[i] < 1 || w->dims[i] > OQ_WINDOW_LIMIT || rows > OQ_WINDOW_LIMIT) return OQ_OK;
    rows *= w->dims[i];
  }
  if (w->dims[0] < 1 || w->dims[0] % p->group != 0) return OQ_OK;
  int64_t mg = w->dims[0] / p->group;
  int32_t nd = (int32_t)w->n_dims - 2, mr = oq_simd_get()->gemm_mr;
  int64_t sw = p->win.n_strides == nd ? p->win.strides[nd - 1] : 1;
  /* room for either packing the node may take (which one depends on the map for 1x1 kernels: the first run picks) */
  size_t gemm_floats = oq_conv_wpack_floats(mg, rows, p->group, mr), direct_floats = 0;
  if (oq_conv_direct_fits(oq_simd_get(), nd, p->group, w->dims[0], w->dims[1], rows / w->dims[1], sw))
    direct_floats = oq_conv_dpack_floats(w->dims[0], w->dims[1], rows / w->dims[1]);
  if (gemm_floats > OQ_OP_PACK_MAX_FLOATS) gemm_floats = 0; /* SIZE_MAX included */
  if (direct_floats > OQ_OP_PACK_MAX_FLOATS) direct_floats = 0;
  size_t floats = gemm_floats > direct_floats ? gemm_floats : direct_floats;
  if (floats == 0) return OQ_OK;
  float *room;
  void *grown = p;
  oq_status st = oq_op_params_room(&grown, sizeof *p, floats, &room, err);
  if (st != OQ_OK) return st;
  oq_conv_params *big = grown;
  big->wpack_buf = room;
  big->wpack_src = NULL;
  big->wpack_mg = mg;
  big->wpack_rows = rows;
  big->wpack_mr = gemm_floats ? mr : 0;
  big->wpack_can_direct = direct_floats != 0;
  big->wpack_direct = -1;
  *pp = big;
  return OQ_OK;
}

oq_status oq_op_conv_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  oq_conv_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_window_parse(ctx->node->proto, 0, &p->win, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "group", 1, &p->group, err));
  if (p->group < 1 || p->group > OQ_WINDOW_LIMIT)
    OQ_FAIL(err, OQ_ERR_MODEL, "group = %lld is invalid", (long long)p->group);
  OQ_CHECK(conv_wpack_room(ctx, &p, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Checks X, W, B (b may be NULL) and fills cs (products left 0) and Y's shape. The same checks for exec, infer and
 * workspace; dtypes are checked by exec only. */
static oq_status conv_setup(const oq_conv_params *p, const oq_tensor *x, const oq_tensor *w, const oq_tensor *b,
                            oq_conv_shape *cs, int64_t *ydims, oq_error *err) {
  oq_status st = OQ_OK;
  const char *names[3] = {"X", "W", "B"};
  for (int i = 0; i < 3; i++)
    if (i < 2 || b) OQ_CHECK(oq_nn_check_dims(i == 0 ? x : i == 1 ? w : b, names[i], err));
  if (x->ndim < 3) OQ_FAIL(err, OQ_ERR_SHAPE, "input X has rank %d, Conv needs at least 3", (int)x->ndim);
  if (w->ndim != x->ndim) OQ_FAIL(err, OQ_ERR_SHAPE, "W has rank %d but X has rank %d", (int)w->ndim, (int)x->ndim);
  memset(cs, 0, sizeof *cs);
  int32_t nd = x->ndim - 2;
  cs->n = x->dims[0];
  cs->c = x->dims[1];
  cs->m = w->dims[0];
  cs->cg = w->dims[1];
  if (cs->c % p->group != 0 || cs->c / p->group != cs->cg)
    OQ_FAIL(err, OQ_ERR_SHAPE, "X has %lld channels but W expects %lld x group %lld", (long long)cs->c,
            (long long)cs->cg, (long long)p->group);
  if (cs->m % p->group != 0)
    OQ_FAIL(err, OQ_ERR_SHAPE, "%lld output channels are not divisible by group %lld", (long long)cs->m,
            (long long)p->group);
  cs->mg = cs->m / p->group;
  if (b && (b->ndim != 1 || b->dims[0] != cs->m))
    OQ_FAIL(err, OQ_ERR_SHAPE, "B must be 1-D with %lld entries", (long long)cs->m);
  if (p->win.n_kernel == nd)
    for (int32_t i = 0; i < nd; i++)
      if (p->win.kernel[i] != w->dims[i + 2])
        OQ_FAIL(err, OQ_ERR_SHAPE, "kernel_shape[%d] = %lld but W has extent %lld", (int)i, (long long)p->win.kernel[i],
                (long long)w->dims[i + 2]);
  OQ_CHECK(oq_window_resolve(&p->win, nd, x->dims + 2, w->dims + 2, &cs->g, err));
  ydims[0] = cs->n;
  ydims[1] = cs->m;
  for (int32_t i = 0; i < nd; i++) ydims[i + 2] = cs->g.out[i];
  return OQ_OK;
fail:
  return st;
}

/* Fills the spatial products of a cs whose Y is non-empty (X, W passed oq_nn_check_dims, so they fit). */
static void conv_products(oq_conv_shape *cs) {
  cs->in_sp = 1;
  cs->out_sp = 1;
  cs->kprod = 1;
  for (int32_t i = 0; i < cs->g.nd; i++) {
    cs->in_sp *= cs->g.in[i];
    cs->out_sp *= cs->g.out[i];
    cs->kprod *= cs->g.k[i];
  }
}

static int conv_degenerate(const oq_conv_shape *cs) { return cs->cg == 0 || cs->kprod == 0 || cs->in_sp == 0; }

static size_t floats_bytes(size_t floats) { return floats > SIZE_MAX / sizeof(float) ? SIZE_MAX : floats * 4; }

oq_status oq_op_conv_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)n_out;
  oq_tensor x, w, b;
  if (!oq_info_known_but_batch(in[0]) || !oq_info_known(in[1]) || (n_in > 2 && in[2] && !oq_info_known(in[2])))
    return OQ_OK;
  int batch_unknown = in[0]->dims[0] < 0;
  oq_info_tensor(in[0], &x);
  if (batch_unknown) x.dims[0] = 1; /* the batch goes through unchanged */
  oq_info_tensor(in[1], &w);
  if (n_in > 2 && in[2]) oq_info_tensor(in[2], &b);
  oq_conv_shape cs;
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = conv_setup(params, &x, &w, n_in > 2 && in[2] ? &b : NULL, &cs, ydims, err);
  if (batch_unknown) ydims[0] = -1;
  if (st == OQ_OK) oq_info_set(&out[0], OQ_DTYPE_FLOAT, x.ndim, ydims);
  return st;
}

/* Scratch of one Conv: the box buffer (when only an inner box is computed) and kern's im2col/packing buffers. */
static size_t conv_scratch_bytes(const oq_conv_params *p, const oq_conv_shape *cs, int32_t threads, int reference,
                                 size_t *box_bytes) {
  oq_conv_shape inner;
  int64_t lo[OQ_MAX_DIMS];
  *box_bytes = 0;
  /* W packed for the direct path by the session: no room to pack it per run */
  int packed = p->wpack_buf && p->wpack_can_direct && p->wpack_mg == cs->m && p->wpack_rows == cs->cg * cs->kprod;
  if (!oq_conv_inner_box(cs, &inner, lo))
    return reference ? 0 : floats_bytes(oq_conv_scratch_floats_wp(cs, threads, packed));
  if (inner.out_sp == 0) return 0;
  /* the box is at most Y, whose size passed the tensor limit */
  *box_bytes = (size_t)(cs->n * cs->m * inner.out_sp) * sizeof(float);
  size_t rest = reference ? 0 : floats_bytes(oq_conv_scratch_floats_wp(&inner, threads, packed)), total;
  return oq_size_add(*box_bytes, rest, &total) ? total : SIZE_MAX;
}

size_t oq_op_conv_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                            int32_t threads) {
  (void)n_out;
  oq_tensor x, w, b;
  oq_error err = {0};
  if (!oq_info_known(in[0]) || !oq_info_known(in[1]) || (n_in > 2 && in[2] && !oq_info_known(in[2]))) return 0;
  oq_info_tensor(in[0], &x);
  oq_info_tensor(in[1], &w);
  if (n_in > 2 && in[2]) oq_info_tensor(in[2], &b);
  oq_conv_shape cs;
  int64_t ydims[OQ_MAX_DIMS];
  if (conv_setup(params, &x, &w, n_in > 2 && in[2] ? &b : NULL, &cs, ydims, &err) != OQ_OK) return 0;
  for (int32_t i = 0; i < x.ndim; i++)
    if (ydims[i] == 0) return 0;
  conv_products(&cs);
  if (conv_degenerate(&cs)) return 0;
  size_t box;
  return conv_scratch_bytes(params, &cs, threads, 0, &box);
}

oq_status oq_op_conv_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_conv_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *w = call->inputs[1];
  const oq_tensor *b = call->n_inputs > 2 ? call->inputs[2] : NULL;
  const char *names[3] = {"X", "W", "B"};
  for (int i = 0; i < 3; i++) {
    const oq_tensor *t = i == 0 ? x : i == 1 ? w : b;
    if (t && t->dtype != OQ_DTYPE_FLOAT)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input %s has type %s, only float32 is supported", names[i],
              oq_dtype_name(t->dtype));
  }
  oq_conv_shape cs;
  int64_t ydims[OQ_MAX_DIMS];
  OQ_CHECK(conv_setup(p, x, w, b, &cs, ydims, err));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  oq_tensor *y = &call->outputs[0];
  if (y->nbytes == 0) return OQ_OK;
  conv_products(&cs);
  float *yd = y->data;
  const float *bd = b ? b->data : NULL;
  /* a Relu/Clip/SiLU the plan fused into this node (exec/plan.c): in the stores on the fast path, else a pass */
  oq_conv_act act = {(oq_gemm_act)call->fused_act, call->fused_lo, call->fused_hi};
  int64_t ny = cs.n * cs.m * cs.out_sp;
  if (conv_degenerate(&cs)) { /* nothing to accumulate: output is the bias */
    for (int64_t i = 0; i < ny; i++) yd[i] = bd ? bd[(i / cs.out_sp) % cs.m] : 0.0f;
    oq_conv_apply_act(&act, oq_simd_get(), yd, ny);
    return OQ_OK;
  }
  size_t box_bytes, bytes = conv_scratch_bytes(p, &cs, oq_threadpool_size(call->pool), call->reference, &box_bytes);
  void *scratch = NULL;
  if (bytes == SIZE_MAX) OQ_FAIL(err, OQ_ERR_NOMEM, "convolution buffers are too large");
  if (bytes) OQ_CHECK(oq_kscratch(call, bytes, &scratch, err));
  oq_conv_shape inner;
  int64_t lo[OQ_MAX_DIMS];
  int boxed = oq_conv_inner_box(&cs, &inner, lo);
  oq_conv_wpack wp = {NULL, 0, 0, 0, 0, 0}, *wpp = NULL;
  if (!call->reference && p->wpack_buf && p->wpack_mg == cs.mg && p->wpack_rows == cs.cg * cs.kprod) {
    /* W is an initializer: packed by the first run of the session for the path this shape takes (again if its
     * bytes moved or another shape takes the other path) */
    int direct = oq_conv_takes_direct(boxed ? &inner : &cs);
    if (direct ? p->wpack_can_direct : p->wpack_mr == oq_simd_get()->gemm_mr) {
      oq_conv_params *mp = (oq_conv_params *)(uintptr_t)p; /* the cache is the params' own, mutable room */
      if (p->wpack_src != w->data || p->wpack_direct != direct) {
        if (direct)
          oq_conv_dpack_fill(w->data, cs.m, cs.cg, cs.kprod, mp->wpack_buf, &wp);
        else
          oq_conv_wpack_fill(w->data, cs.mg, cs.cg * cs.kprod, p->group, p->wpack_mr, mp->wpack_buf, &wp);
        mp->wpack_src = w->data;
        mp->wpack_direct = direct;
      }
      wp = (oq_conv_wpack){p->wpack_buf, p->wpack_mg, p->wpack_rows, p->group, p->wpack_mr, direct};
      wpp = &wp;
    }
  }
  if (!boxed) {
    if (call->reference) {
      oq_conv_ref(&cs, x->data, w->data, bd, yd);
      oq_conv_apply_act(&act, oq_simd_get(), yd, ny);
    } else {
      OQ_CHECK(oq_conv_fast_wp(&cs, x->data, w->data, wpp, bd, &act, yd, call->pool, scratch, err));
    }
    return OQ_OK;
  }
  /* Positions outside the box only see padding: their output is the bias. Compute the box, then place it. */
  for (int64_t pl = 0; pl < cs.n * cs.m; pl++) {
    float v = bd ? bd[pl % cs.m] : 0.0f;
    for (int64_t q = 0; q < cs.out_sp; q++) yd[pl * cs.out_sp + q] = v;
  }
  if (inner.out_sp != 0) {
    float *box = scratch, *rest = (float *)((unsigned char *)scratch + box_bytes);
    if (call->reference)
      oq_conv_ref(&inner, x->data, w->data, bd, box);
    else
      OQ_CHECK(oq_conv_fast_wp(&inner, x->data, w->data, wpp, bd, NULL, box, call->pool, rest, err));
    oq_conv_place_box(&cs, &inner, lo, box, yd);
  }
  oq_conv_apply_act(&act, oq_simd_get(), yd, ny);
  return OQ_OK;
fail:
  return st;
}
