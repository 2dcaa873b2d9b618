/* The operator table: one X-macro row per (op, arity/semantics range). No include guard: included with different
 * OQ_OP definitions (kernels.h: prototypes; registry.c: the table; quant/policy.c: the policy column;
 * scripts/gen-operator-doc.py parses the rows). Each row expands to OQ_OP(<the 18 columns>).
 *
 * OQ_ROW(op_type, domain, since, max_opset, min_in, max_in, min_out, max_out,
 *       init, infer, workspace, exec, free_params, flags, quant_kind, quant_axis, quant_min_opset, attrs)
 *
 * Row policy: ONE row per op, and a further row only where the op's arity changes (so that inputs or outputs an
 * opset does not have are refused, not ignored: Gemm's C optional from 11, MaxPool's Indices from 8,
 * BatchNormalization's training outputs dropped in 14, Clip's min/max inputs from 11, Dropout's ratio from 12,
 * Squeeze/Unsqueeze axes and Split sizes from 13, Slice's inputs from 10). Semantic changes between opsets that
 * keep the arity are handled by the one init reading ctx->opset (Softmax 13, Split 18, AveragePool 19 dilations).
 *
 * max_opset: a row binds for since <= opset <= max_opset. For every row but an op's last it is the next row's
 * since - 1. For the last row it is the newest opset whose schema of the op was checked against the kernel
 * (onnx docs/Operators.md as of opset 28): the op's first since-version after 17 minus 1, or 28 when the schema
 * has not changed since 17; later versions the kernel already implements do not bound it (Split 18 num_outputs,
 * AveragePool 19 dilations, QuantizeLinear/DequantizeLinear 19 (saturate: float8 only, refused by type) and 21
 * (output_dtype; block_size refused at init), so those stop before 23). Where every change up to 21 only adds
 * element types the kernel refuses by dtype anyway (float8 and 4-bit types, strings: Cast/CastLike 19 saturate
 * applies to float8 only, Constant, ConstantOfShape, Equal, Identity, Reshape, Shape, Size 19/20/21, Flatten,
 * Squeeze, Unsqueeze, Transpose 21, If 19/21), the bound is 21, so that exports at opsets 18 to 21 keep running as they
 * did before the bounds existed. Opsets up to 17 are what the backend tests cover and all run as before; a model above
 * an op's bound is refused at load time naming node, op and opset.
 *
 * Function columns hold OQ_NONE where a row has no such function (the includer defines it: NULL in the table).
 *
 * Quantization (quant_kind, quant_axis, quant_min_opset) follows onnxruntime's QDQ quantizer (its QDQRegistry and
 * QDQOperatorBase default list); every row of one op repeats it. Rows with exec NULL exist only for their policy:
 * onnxruntime quantizes those ops but our executor does not run them (the model is refused at load time). */
#define OQ_VARIADIC 2147483647
/* rows go through OQ_ROW so that the column macros below (OQ_Q_*) expand before OQ_OP sees its 18 arguments */
#define OQ_ROW(...) OQ_OP(__VA_ARGS__)
#define OQ_Q_NONE   OQ_OP_QUANT_NONE, 0, 0
#define OQ_Q_GEN    OQ_OP_QUANT_GENERIC, 0, 1
#define OQ_Q_DIRECT OQ_OP_QUANT_DIRECT, 0, 1
#define OQ_Q_REMOVE OQ_OP_QUANT_REMOVABLE, 0, 1
#define OQ_F_VIEW   OQ_OP_FLAG_VIEW
#define OQ_F_INPL   OQ_OP_FLAG_INPLACE
#define OQ_F_NONE   OQ_OP_FLAG_NONE

/* conv.c */
OQ_ROW("Conv", "", 1, 21, 2, 3, 1, 1, oq_op_conv_init, oq_op_conv_infer, oq_op_conv_workspace, oq_op_conv_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_WEIGHTED, 0, 1, oq_attrs_none)
OQ_ROW("ConvTranspose", "", 1, 21, 2, 3, 1, 1, oq_op_convt_init, OQ_NONE, OQ_NONE, oq_op_convt_exec, oq_op_params_free,
       OQ_F_NONE, OQ_OP_QUANT_WEIGHTED, 1, 1, oq_attrs_none)

/* gemm.c */
OQ_ROW("Gemm", "", 1, 10, 3, 3, 1, 1, oq_op_gemm_init, oq_op_gemm_infer, oq_op_gemm_workspace, oq_op_gemm_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_WEIGHTED, -1, 1, oq_attrs_gemm)
OQ_ROW("Gemm", "", 11, 28, 2, 3, 1, 1, oq_op_gemm_init, oq_op_gemm_infer, oq_op_gemm_workspace, oq_op_gemm_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_WEIGHTED, -1, 1, oq_attrs_gemm)
OQ_ROW("MatMul", "", 1, 28, 2, 2, 1, 1, oq_op_matmul_init, oq_op_matmul_infer, oq_op_matmul_workspace,
       oq_op_matmul_exec, oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_MATMUL, 1, 1, oq_attrs_none)

/* pool.c (MaxPool's optional Indices output from opset 8) */
OQ_ROW("MaxPool", "", 1, 7, 1, 1, 1, 1, oq_op_maxpool_init, oq_op_pool_infer, oq_op_pool_workspace, oq_op_maxpool_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_DIRECT, 0, 12, oq_attrs_none)
OQ_ROW("MaxPool", "", 8, 21, 1, 1, 1, 2, oq_op_maxpool_init, oq_op_pool_infer, oq_op_pool_workspace, oq_op_maxpool_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_DIRECT, 0, 12, oq_attrs_none)
OQ_ROW("AveragePool", "", 1, 21, 1, 1, 1, 1, oq_op_avgpool_init, oq_op_pool_infer, oq_op_pool_workspace,
       oq_op_avgpool_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("GlobalAveragePool", "", 1, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_global_pool_infer, OQ_NONE,
       oq_op_global_avgpool_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_GEN, oq_attrs_none)
OQ_ROW("GlobalMaxPool", "", 1, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_global_pool_infer, OQ_NONE,
       oq_op_global_maxpool_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* norm.c (inference only) */
OQ_ROW("BatchNormalization", "", 6, 13, 5, 5, 1, 5, oq_op_init_attrs, oq_op_infer_same, oq_op_batchnorm_workspace,
       oq_op_batchnorm_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_batchnorm)
OQ_ROW("BatchNormalization", "", 14, 28, 5, 5, 1, 3, oq_op_init_attrs, oq_op_infer_same, oq_op_batchnorm_workspace,
       oq_op_batchnorm_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_batchnorm)

/* eltwise.c */
OQ_ROW("Add", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_add_h_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_GEN, oq_attrs_none)
OQ_ROW("Sub", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_sub_h_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Mul", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_mul_h_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_GEN, oq_attrs_none)
OQ_ROW("Div", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_div_h_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Pow", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_pow_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Mod", "", 10, 28, 2, 2, 1, 1, oq_op_init_attrs, oq_op_infer_bcast, OQ_NONE, oq_op_mod_h_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_mod)
OQ_ROW("PRelu", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_prelu_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Max", "", 8, 28, 1, OQ_VARIADIC, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_max_h_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Min", "", 8, 28, 1, OQ_VARIADIC, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_min_h_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Sum", "", 8, 28, 1, OQ_VARIADIC, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_sum_h_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Mean", "", 8, 28, 1, OQ_VARIADIC, 1, 1, oq_op_init_none, oq_op_infer_bcast, OQ_NONE, oq_op_mean_h_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Equal", "", 7, 21, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_equal_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Less", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_less_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Greater", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_greater_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("LessOrEqual", "", 12, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_less_equal_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("GreaterOrEqual", "", 12, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE,
       oq_op_greater_equal_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("And", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_and_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Or", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_or_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Xor", "", 7, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_infer_bcast_bool, OQ_NONE, oq_op_xor_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Not", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_not_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Where", "", 9, 28, 3, 3, 1, 1, oq_op_init_none, oq_op_infer_where, OQ_NONE, oq_op_where_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* activation.c */
OQ_ROW("Relu", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_relu_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_REMOVE, oq_attrs_none)
OQ_ROW("LeakyRelu", "", 1, 28, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_leaky_relu_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_GEN, oq_attrs_leaky_relu)
OQ_ROW("Elu", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_elu_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_elu)
OQ_ROW("Selu", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_selu_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_selu)
OQ_ROW("Celu", "", 12, 27, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_celu_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_celu)
OQ_ROW("ThresholdedRelu", "", 10, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE,
       oq_op_thresholded_relu_exec, oq_op_params_free, OQ_F_INPL, OQ_Q_NONE, oq_attrs_thresholded_relu)
OQ_ROW("Sigmoid", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_sigmoid_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_GEN, oq_attrs_none)
OQ_ROW("HardSigmoid", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_hard_sigmoid_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_NONE, oq_attrs_hard_sigmoid)
OQ_ROW("HardSwish", "", 14, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_hard_swish_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Tanh", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_tanh_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Softplus", "", 1, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_softplus_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Softsign", "", 1, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_softsign_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Mish", "", 18, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_mish_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Exp", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_exp_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Log", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_log_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Sqrt", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_sqrt_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Reciprocal", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_reciprocal_exec,
       oq_op_params_free, OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Floor", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_floor_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Ceil", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_ceil_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Round", "", 11, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_round_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Erf", "", 9, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_erf_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Sin", "", 7, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_sin_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Cos", "", 7, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_cos_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Gelu", "", 20, 28, 1, 1, 1, 1, oq_op_gelu_init, oq_op_infer_same, OQ_NONE, oq_op_gelu_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Neg", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_neg_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Abs", "", 1, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_abs_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Sign", "", 9, 28, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_sign_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Clip", "", 1, 10, 1, 1, 1, 1, oq_op_clip_init, oq_op_infer_same, OQ_NONE, oq_op_clip_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_REMOVE, oq_attrs_none)
OQ_ROW("Clip", "", 11, 28, 1, 3, 1, 1, oq_op_clip_init, oq_op_infer_same, OQ_NONE, oq_op_clip_exec, oq_op_params_free,
       OQ_F_INPL, OQ_Q_REMOVE, oq_attrs_none)
OQ_ROW("Softmax", "", 1, 28, 1, 1, 1, 1, oq_op_softmax_init, oq_op_infer_same, OQ_NONE, oq_op_softmax_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_GEN, oq_attrs_none)
OQ_ROW("LogSoftmax", "", 1, 28, 1, 1, 1, 1, oq_op_softmax_init, oq_op_infer_same, OQ_NONE, oq_op_log_softmax_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Hardmax", "", 1, 28, 1, 1, 1, 1, oq_op_softmax_init, oq_op_infer_same, OQ_NONE, oq_op_hardmax_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* reshape.c: ops whose output 0 is input 0's bytes (views) */
OQ_ROW("Identity", "", 1, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_identity_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Dropout", "", 1, 11, 1, 1, 1, 2, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_dropout_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Dropout", "", 12, 21, 1, 3, 1, 2, oq_op_init_none, oq_op_infer_same, OQ_NONE, oq_op_dropout_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Flatten", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_flatten_infer, OQ_NONE, oq_op_flatten_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_NONE, oq_attrs_flatten)
OQ_ROW("Reshape", "", 5, 21, 2, 2, 1, 1, oq_op_init_attrs, oq_op_reshape_infer, OQ_NONE, oq_op_reshape_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_DIRECT, oq_attrs_reshape)
OQ_ROW("Squeeze", "", 1, 12, 1, 1, 1, 1, oq_op_axes_init, oq_op_squeeze_infer, OQ_NONE, oq_op_squeeze_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("Squeeze", "", 13, 21, 1, 2, 1, 1, oq_op_axes_init, oq_op_squeeze_infer, OQ_NONE, oq_op_squeeze_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("Unsqueeze", "", 1, 12, 1, 1, 1, 1, oq_op_axes_init, oq_op_unsqueeze_infer, OQ_NONE, oq_op_unsqueeze_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("Unsqueeze", "", 13, 21, 2, 2, 1, 1, oq_op_axes_init, oq_op_unsqueeze_infer, OQ_NONE, oq_op_unsqueeze_exec,
       oq_op_params_free, OQ_F_VIEW, OQ_Q_DIRECT, oq_attrs_none)

/* constant.c */
OQ_ROW("Constant", "", 1, 21, 0, 0, 1, 1, oq_op_constant_init, oq_op_constant_infer, OQ_NONE, oq_op_constant_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ConstantOfShape", "", 9, 21, 1, 1, 1, 1, oq_op_constant_of_shape_init, oq_op_constant_of_shape_infer, OQ_NONE,
       oq_op_constant_of_shape_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Range", "", 11, 26, 3, 3, 1, 1, oq_op_init_none, oq_op_range_infer, OQ_NONE, oq_op_range_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* slice.c */
OQ_ROW("Transpose", "", 1, 21, 1, 1, 1, 1, oq_op_transpose_init, oq_op_transpose_infer, OQ_NONE, oq_op_transpose_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("Slice", "", 1, 9, 1, 1, 1, 1, oq_op_slice_init, oq_op_same_rank_infer, OQ_NONE, oq_op_slice_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("Slice", "", 10, 28, 3, 5, 1, 1, oq_op_slice_init, oq_op_slice_infer, OQ_NONE, oq_op_slice_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_DIRECT, oq_attrs_none)
OQ_ROW("Expand", "", 8, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_expand_infer, OQ_NONE, oq_op_expand_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Tile", "", 6, 28, 2, 2, 1, 1, oq_op_init_none, oq_op_tile_infer, OQ_NONE, oq_op_tile_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* concat.c */
OQ_ROW("Concat", "", 4, 28, 1, OQ_VARIADIC, 1, 1, oq_op_init_attrs, oq_op_concat_infer, OQ_NONE, oq_op_concat_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_GEN, oq_attrs_axis0)
OQ_ROW("Split", "", 2, 12, 1, 1, 1, OQ_VARIADIC, oq_op_split_init, OQ_NONE, oq_op_split_workspace, oq_op_split_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Split", "", 13, 28, 1, 2, 1, OQ_VARIADIC, oq_op_split_init, OQ_NONE, oq_op_split_workspace, oq_op_split_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Gather", "", 1, 28, 2, 2, 1, 1, oq_op_init_attrs, OQ_NONE, OQ_NONE, oq_op_gather_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_axis0)

/* cast.c */
OQ_ROW("Shape", "", 1, 21, 1, 1, 1, 1, oq_op_shape_init, oq_op_shape_infer, OQ_NONE, oq_op_shape_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Size", "", 1, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_size_infer, OQ_NONE, oq_op_size_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Cast", "", 6, 21, 1, 1, 1, 1, oq_op_cast_init, oq_op_cast_infer, OQ_NONE, oq_op_cast_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("CastLike", "", 15, 21, 2, 2, 1, 1, oq_op_init_none, oq_op_cast_like_infer, OQ_NONE, oq_op_cast_like_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* qdq.c */
OQ_ROW("QuantizeLinear", "", 10, 22, 2, 3, 1, 1, oq_op_qdq_init, oq_op_quantize_linear_infer, OQ_NONE,
       oq_op_quantize_linear_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("DequantizeLinear", "", 10, 22, 2, 3, 1, 1, oq_op_qdq_init, oq_op_dequantize_linear_infer, OQ_NONE,
       oq_op_dequantize_linear_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* control.c */
/* If runs one of its branch subgraphs through the executor's subgraph hook (oq_ksubgraph). One row: later versions
 * keep the arity and only widen the types a branch may return (19: float8, the first change after 17). */
OQ_ROW("If", "", 1, 21, 1, 1, 1, OQ_VARIADIC, oq_op_if_init, oq_op_if_infer, OQ_NONE, oq_op_if_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
/* Loop: M and cond may both be omitted (empty names), so no slot counts as required here */
OQ_ROW("Loop", "", 1, 21, 0, OQ_VARIADIC, 1, OQ_VARIADIC, oq_op_loop_init, oq_op_loop_infer, OQ_NONE, oq_op_loop_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
/* Scan 8 has the optional sequence_lens input first (so no slot counts as required here; init and exec check the
 * others) and a batch axis; 9 neither (init reads the opset) */
OQ_ROW("Scan", "", 8, 8, 0, OQ_VARIADIC, 1, OQ_VARIADIC, oq_op_scan_init, oq_op_scan_infer, OQ_NONE, oq_op_scan_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Scan", "", 9, 21, 1, OQ_VARIADIC, 1, OQ_VARIADIC, oq_op_scan_init, oq_op_scan_infer, OQ_NONE, oq_op_scan_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* reduce.c: axes as an attribute, then as an input (ReduceSum 13, the others 18) */
OQ_ROW("ReduceSum", "", 1, 12, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceSum", "", 13, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceMean", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceMean", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceMax", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceMax", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceMin", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceMin", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceProd", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceProd", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceL1", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceL1", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceL2", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceL2", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceLogSum", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceLogSum", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceLogSumExp", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceLogSumExp", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceSumSquare", "", 1, 17, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ReduceSumSquare", "", 18, 21, 1, 2, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ArgMax", "", 1, 21, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_GEN, oq_attrs_none)
OQ_ROW("ArgMin", "", 1, 21, 1, 1, 1, 1, oq_op_reduce_init, oq_op_reduce_infer, oq_op_reduce_workspace,
       oq_op_reduce_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* gather.c */
OQ_ROW("GatherElements", "", 11, 21, 2, 2, 1, 1, oq_op_gather_ext_init, oq_op_gather_elements_infer, OQ_NONE,
       oq_op_gather_elements_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("GatherND", "", 11, 21, 2, 2, 1, 1, oq_op_gather_ext_init, oq_op_dtype_only_infer, OQ_NONE, oq_op_gather_nd_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Scatter", "", 9, 10, 3, 3, 1, 1, oq_op_gather_ext_init, oq_op_scatter_infer, OQ_NONE,
       oq_op_scatter_elements_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ScatterElements", "", 11, 21, 3, 3, 1, 1, oq_op_gather_ext_init, oq_op_scatter_infer, OQ_NONE,
       oq_op_scatter_elements_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("ScatterND", "", 11, 21, 3, 3, 1, 1, oq_op_gather_ext_init, oq_op_scatter_infer, OQ_NONE, oq_op_scatter_nd_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* index.c */
OQ_ROW("Trilu", "", 14, 21, 1, 2, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_trilu_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_trilu)
OQ_ROW("CumSum", "", 11, 21, 2, 2, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_cumsum_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_GEN, oq_attrs_cumsum)
OQ_ROW("TopK", "", 1, 9, 1, 1, 2, 2, oq_op_init_attrs, oq_op_topk_infer, OQ_NONE, oq_op_topk_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_DIRECT, oq_attrs_topk)
OQ_ROW("TopK", "", 10, 21, 2, 2, 2, 2, oq_op_init_attrs, oq_op_topk_infer, OQ_NONE, oq_op_topk_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_DIRECT, oq_attrs_topk)
OQ_ROW("OneHot", "", 9, 21, 3, 3, 1, 1, oq_op_init_attrs, oq_op_onehot_infer, OQ_NONE, oq_op_onehot_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_onehot)
OQ_ROW("NonZero", "", 9, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_nonzero_infer, OQ_NONE, oq_op_nonzero_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Compress", "", 9, 21, 2, 2, 1, 1, oq_op_axis_opt_init, oq_op_compress_infer, OQ_NONE, oq_op_compress_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("EyeLike", "", 9, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_eyelike_infer, OQ_NONE, oq_op_eyelike_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_eyelike)
OQ_ROW("ReverseSequence", "", 10, 21, 2, 2, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE,
       oq_op_reverse_sequence_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_reverse_sequence)
OQ_ROW("Unique", "", 11, 21, 1, 1, 1, 4, oq_op_axis_opt_init, oq_op_unique_infer, OQ_NONE, oq_op_unique_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("DepthToSpace", "", 1, 21, 1, 1, 1, 1, oq_op_depth_to_space_init, oq_op_depth_to_space_infer, OQ_NONE,
       oq_op_depth_to_space_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("SpaceToDepth", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_space_to_depth_infer, OQ_NONE,
       oq_op_space_to_depth_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_space_to_depth)

/* math.c */
OQ_ROW("Acos", "", 7, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Acosh", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Asin", "", 7, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Asinh", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Atan", "", 7, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Atanh", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Cosh", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Sinh", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Tan", "", 7, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("IsNaN", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("IsInf", "", 10, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Shrink", "", 9, 21, 1, 1, 1, 1, oq_op_math_init, oq_op_math_infer, OQ_NONE, oq_op_math_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("BitShift", "", 11, 21, 2, 2, 1, 1, oq_op_math_init, oq_op_infer_bcast, OQ_NONE, oq_op_bitshift_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Det", "", 11, 21, 1, 1, 1, 1, oq_op_init_none, oq_op_det_infer, OQ_NONE, oq_op_det_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* normx.c */
OQ_ROW("LayerNormalization", "", 17, 21, 2, 3, 1, 3, oq_op_init_attrs, oq_op_layer_norm_infer, OQ_NONE,
       oq_op_layer_norm_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_layer_norm)
OQ_ROW("GroupNormalization", "", 18, 21, 3, 3, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_group_norm_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_group_norm)
OQ_ROW("InstanceNormalization", "", 6, 21, 3, 3, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE,
       oq_op_instance_norm_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_instance_norm)
OQ_ROW("MeanVarianceNormalization", "", 9, 21, 1, 1, 1, 1, oq_op_mvn_init, oq_op_infer_same, OQ_NONE, oq_op_mvn_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("LpNormalization", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_lp_norm_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_lp_norm)
OQ_ROW("LRN", "", 1, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_infer_same, OQ_NONE, oq_op_lrn_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_lrn)

/* resize.c */
OQ_ROW("Resize", "", 10, 10, 2, 2, 1, 1, oq_op_resize_init, oq_op_same_rank_infer, OQ_NONE, oq_op_resize_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_DIRECT, 0, 11, oq_attrs_none)
OQ_ROW("Resize", "", 11, 12, 3, 4, 1, 1, oq_op_resize_init, oq_op_same_rank_infer, OQ_NONE, oq_op_resize_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_DIRECT, 0, 11, oq_attrs_none)
OQ_ROW("Resize", "", 13, 21, 1, 4, 1, 1, oq_op_resize_init, oq_op_same_rank_infer, OQ_NONE, oq_op_resize_exec,
       oq_op_params_free, OQ_F_NONE, OQ_OP_QUANT_DIRECT, 0, 11, oq_attrs_none)
OQ_ROW("Upsample", "", 7, 8, 1, 1, 1, 1, oq_op_resize_init, oq_op_same_rank_infer, OQ_NONE, oq_op_resize_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Upsample", "", 9, 9, 2, 2, 1, 1, oq_op_resize_init, oq_op_same_rank_infer, OQ_NONE, oq_op_resize_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* pad.c */
OQ_ROW("Pad", "", 2, 10, 1, 1, 1, 1, oq_op_pad_init, oq_op_same_rank_infer, OQ_NONE, oq_op_pad_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Pad", "", 11, 17, 2, 3, 1, 1, oq_op_pad_init, oq_op_pad_infer, OQ_NONE, oq_op_pad_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("Pad", "", 18, 21, 2, 4, 1, 1, oq_op_pad_init, oq_op_pad_infer, OQ_NONE, oq_op_pad_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* rnn.c */
OQ_ROW("RNN", "", 7, 13, 3, 6, 0, 2, oq_op_rnn_init, OQ_NONE, OQ_NONE, oq_op_rnn_exec, oq_op_params_free, OQ_F_NONE,
       OQ_Q_NONE, oq_attrs_none)
OQ_ROW("RNN", "", 14, 21, 3, 6, 0, 2, oq_op_rnn_init, OQ_NONE, OQ_NONE, oq_op_rnn_exec, oq_op_params_free, OQ_F_NONE,
       OQ_Q_NONE, oq_attrs_none)
OQ_ROW("GRU", "", 7, 13, 3, 6, 0, 2, oq_op_rnn_init, OQ_NONE, OQ_NONE, oq_op_rnn_exec, oq_op_params_free, OQ_F_NONE,
       OQ_Q_NONE, oq_attrs_none)
OQ_ROW("GRU", "", 14, 21, 3, 6, 0, 2, oq_op_rnn_init, OQ_NONE, OQ_NONE, oq_op_rnn_exec, oq_op_params_free, OQ_F_NONE,
       OQ_Q_NONE, oq_attrs_none)
OQ_ROW("LSTM", "", 7, 13, 3, 8, 0, 3, oq_op_rnn_init, OQ_NONE, OQ_NONE, oq_op_rnn_exec, oq_op_params_free, OQ_F_NONE,
       OQ_Q_NONE, oq_attrs_none)
OQ_ROW("LSTM", "", 14, 21, 3, 8, 0, 3, oq_op_rnn_init, OQ_NONE, OQ_NONE, oq_op_rnn_exec, oq_op_params_free, OQ_F_NONE,
       OQ_Q_NONE, oq_attrs_none)

/* detect.c */
OQ_ROW("NonMaxSuppression", "", 10, 21, 2, 5, 1, 1, oq_op_detect_init, oq_op_nms_infer, OQ_NONE, oq_op_nms_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("RoiAlign", "", 10, 21, 3, 3, 1, 1, oq_op_detect_init, oq_op_roialign_infer, OQ_NONE, oq_op_roialign_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("MaxUnpool", "", 9, 10, 2, 2, 1, 1, oq_op_detect_init, oq_op_maxunpool_infer, OQ_NONE, oq_op_maxunpool_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("MaxUnpool", "", 11, 21, 2, 3, 1, 1, oq_op_detect_init, oq_op_maxunpool_infer, OQ_NONE, oq_op_maxunpool_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* einsum.c */
OQ_ROW("Einsum", "", 12, 21, 1, OQ_VARIADIC, 1, 1, oq_op_einsum_init, oq_op_einsum_infer, OQ_NONE, oq_op_einsum_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* qmath.c */
OQ_ROW("DynamicQuantizeLinear", "", 11, 21, 1, 1, 3, 3, oq_op_init_none, oq_op_dynamic_quantize_infer, OQ_NONE,
       oq_op_dynamic_quantize_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("MatMulInteger", "", 10, 21, 2, 4, 1, 1, oq_op_init_none, oq_op_matmul_integer_infer, OQ_NONE,
       oq_op_matmul_integer_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("QLinearMatMul", "", 10, 21, 8, 8, 1, 1, oq_op_init_none, oq_op_qlinear_matmul_infer, OQ_NONE,
       oq_op_qlinear_matmul_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* qconv.c (MatMulInteger/QLinearMatMul above take their infer from it too) */
OQ_ROW("ConvInteger", "", 10, 21, 2, 4, 1, 1, oq_op_conv_init, oq_op_conv_integer_infer, OQ_NONE,
       oq_op_conv_integer_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("QLinearConv", "", 10, 21, 8, 9, 1, 1, oq_op_conv_init, oq_op_qlinear_conv_infer, OQ_NONE,
       oq_op_qlinear_conv_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* gridsample.c (16: 4-D, bilinear/nearest/bicubic; 20: any rank, linear/nearest/cubic; init reads the opset) */
OQ_ROW("GridSample", "", 16, 21, 2, 2, 1, 1, oq_op_gridsample_init, oq_op_gridsample_infer, OQ_NONE,
       oq_op_gridsample_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* lppool.c (LpPool's p is a float at opset 1, an int from 2; init reads the opset) */
OQ_ROW("LpPool", "", 1, 21, 1, 1, 1, 1, oq_op_lppool_init, oq_op_lppool_infer, OQ_NONE, oq_op_lppool_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("GlobalLpPool", "", 1, 21, 1, 1, 1, 1, oq_op_global_lppool_init, oq_op_global_lppool_infer, OQ_NONE,
       oq_op_global_lppool_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)
OQ_ROW("MaxRoiPool", "", 1, 21, 2, 2, 1, 1, oq_op_maxroipool_init, oq_op_maxroipool_infer, OQ_NONE,
       oq_op_maxroipool_exec, oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_none)

/* signal.c (DFT 20 takes the axis as an input instead of an attribute) */
OQ_ROW("HannWindow", "", 17, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_window_infer, OQ_NONE, oq_op_hann_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_window)
OQ_ROW("HammingWindow", "", 17, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_window_infer, OQ_NONE, oq_op_hamming_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_window)
OQ_ROW("BlackmanWindow", "", 17, 21, 1, 1, 1, 1, oq_op_init_attrs, oq_op_window_infer, OQ_NONE, oq_op_blackman_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_window)
OQ_ROW("DFT", "", 17, 19, 1, 2, 1, 1, oq_op_init_attrs, oq_op_dft_infer, OQ_NONE, oq_op_dft_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_dft)
OQ_ROW("DFT", "", 20, 21, 1, 3, 1, 1, oq_op_dft20_init, oq_op_dft_infer, OQ_NONE, oq_op_dft_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_dft20)
OQ_ROW("STFT", "", 17, 21, 2, 4, 1, 1, oq_op_init_attrs, oq_op_stft_infer, OQ_NONE, oq_op_stft_exec, oq_op_params_free,
       OQ_F_NONE, OQ_Q_NONE, oq_attrs_stft)
OQ_ROW("MelWeightMatrix", "", 17, 21, 5, 5, 1, 1, oq_op_init_attrs, oq_op_mel_infer, OQ_NONE, oq_op_mel_exec,
       oq_op_params_free, OQ_F_NONE, OQ_Q_NONE, oq_attrs_mel)

/* policy-only rows: onnxruntime quantizes these; the executor does not run them */

#undef OQ_VARIADIC
#undef OQ_ROW
#undef OQ_Q_NONE
#undef OQ_Q_GEN
#undef OQ_Q_DIRECT
#undef OQ_Q_REMOVE
#undef OQ_F_VIEW
#undef OQ_F_INPL
#undef OQ_F_NONE
