/* Operator rows, tensor family. No include guard: included with different OQ_OP definitions.
 * OQ_OP(op_type, domain, since_version, min_in, max_in, min_out, max_out, init, exec, free_params, flags)
 * One row per op covers every later opset: init reads ctx->opset where attributes moved to inputs (Clip 11,
 * Squeeze/Unsqueeze/Split 13, Slice 10) or semantics changed (Softmax 13); a second row only where the arity
 * changed, so that inputs an opset does not have are refused, not ignored. Outputs are copies (no view flag). */
#define OQ_TENSOR_VARIADIC 2147483647

/* eltwise.c */
OQ_OP("Add", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_add_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Sub", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_sub_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Mul", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_mul_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Div", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_div_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Pow", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_pow_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Mod", "", 10, 2, 2, 1, 1, oq_op_mod_init, oq_op_mod_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("PRelu", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_prelu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Max", "", 8, 1, OQ_TENSOR_VARIADIC, 1, 1, oq_op_init_none, oq_op_max_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Min", "", 8, 1, OQ_TENSOR_VARIADIC, 1, 1, oq_op_init_none, oq_op_min_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Sum", "", 8, 1, OQ_TENSOR_VARIADIC, 1, 1, oq_op_init_none, oq_op_sum_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Mean", "", 8, 1, OQ_TENSOR_VARIADIC, 1, 1, oq_op_init_none, oq_op_mean_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Equal", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_equal_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Less", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_less_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Greater", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_greater_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("LessOrEqual", "", 12, 2, 2, 1, 1, oq_op_init_none, oq_op_less_equal_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("GreaterOrEqual", "", 12, 2, 2, 1, 1, oq_op_init_none, oq_op_greater_equal_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("And", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_and_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Or", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_or_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Xor", "", 7, 2, 2, 1, 1, oq_op_init_none, oq_op_xor_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Not", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_not_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Where", "", 9, 3, 3, 1, 1, oq_op_init_none, oq_op_where_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

/* activation.c */
OQ_OP("Relu", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_relu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("LeakyRelu", "", 1, 1, 1, 1, 1, oq_op_leaky_relu_init, oq_op_leaky_relu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Elu", "", 1, 1, 1, 1, 1, oq_op_elu_init, oq_op_elu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Selu", "", 1, 1, 1, 1, 1, oq_op_selu_init, oq_op_selu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Celu", "", 12, 1, 1, 1, 1, oq_op_celu_init, oq_op_celu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("ThresholdedRelu", "", 10, 1, 1, 1, 1, oq_op_thresholded_relu_init, oq_op_thresholded_relu_exec,
      oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Sigmoid", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_sigmoid_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("HardSigmoid", "", 1, 1, 1, 1, 1, oq_op_hard_sigmoid_init, oq_op_hard_sigmoid_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("HardSwish", "", 14, 1, 1, 1, 1, oq_op_init_none, oq_op_hard_swish_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Tanh", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_tanh_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Softplus", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_softplus_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Softsign", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_softsign_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Mish", "", 18, 1, 1, 1, 1, oq_op_init_none, oq_op_mish_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Exp", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_exp_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Log", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_log_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Sqrt", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_sqrt_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Reciprocal", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_reciprocal_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Floor", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_floor_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Ceil", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_ceil_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Round", "", 11, 1, 1, 1, 1, oq_op_init_none, oq_op_round_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Erf", "", 9, 1, 1, 1, 1, oq_op_init_none, oq_op_erf_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Sin", "", 7, 1, 1, 1, 1, oq_op_init_none, oq_op_sin_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Cos", "", 7, 1, 1, 1, 1, oq_op_init_none, oq_op_cos_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gelu", "", 20, 1, 1, 1, 1, oq_op_gelu_init, oq_op_gelu_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Neg", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_neg_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Abs", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_abs_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Sign", "", 9, 1, 1, 1, 1, oq_op_init_none, oq_op_sign_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
/* Inputs that later opsets added are refused before them rather than ignored (Clip's min/max from 11, Dropout's
 * ratio from 12, Squeeze/Unsqueeze axes and Split sizes from 13, Slice's inputs from 10). */
OQ_OP("Clip", "", 1, 1, 1, 1, 1, oq_op_clip_init, oq_op_clip_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Clip", "", 11, 1, 3, 1, 1, oq_op_clip_init, oq_op_clip_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Softmax", "", 1, 1, 1, 1, 1, oq_op_softmax_init, oq_op_softmax_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("LogSoftmax", "", 1, 1, 1, 1, 1, oq_op_softmax_init, oq_op_log_softmax_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Hardmax", "", 1, 1, 1, 1, 1, oq_op_softmax_init, oq_op_hardmax_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

/* shape.c */
OQ_OP("Identity", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_identity_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Dropout", "", 1, 1, 1, 1, 2, oq_op_init_none, oq_op_dropout_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Dropout", "", 12, 1, 3, 1, 2, oq_op_init_none, oq_op_dropout_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Constant", "", 1, 0, 0, 1, 1, oq_op_constant_init, oq_op_constant_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("ConstantOfShape", "", 9, 1, 1, 1, 1, oq_op_constant_of_shape_init, oq_op_constant_of_shape_exec,
      oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Flatten", "", 1, 1, 1, 1, 1, oq_op_flatten_init, oq_op_flatten_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Reshape", "", 5, 2, 2, 1, 1, oq_op_reshape_init, oq_op_reshape_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Squeeze", "", 1, 1, 1, 1, 1, oq_op_axes_init, oq_op_squeeze_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Squeeze", "", 13, 1, 2, 1, 1, oq_op_axes_init, oq_op_squeeze_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Unsqueeze", "", 1, 1, 1, 1, 1, oq_op_axes_init, oq_op_unsqueeze_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Unsqueeze", "", 13, 2, 2, 1, 1, oq_op_axes_init, oq_op_unsqueeze_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Transpose", "", 1, 1, 1, 1, 1, oq_op_transpose_init, oq_op_transpose_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Concat", "", 4, 1, OQ_TENSOR_VARIADIC, 1, 1, oq_op_axis_init, oq_op_concat_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("Split", "", 2, 1, 1, 1, OQ_TENSOR_VARIADIC, oq_op_split_init, oq_op_split_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("Split", "", 13, 1, 2, 1, OQ_TENSOR_VARIADIC, oq_op_split_init, oq_op_split_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("Slice", "", 1, 1, 1, 1, 1, oq_op_slice_init, oq_op_slice_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Slice", "", 10, 3, 5, 1, 1, oq_op_slice_init, oq_op_slice_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gather", "", 1, 2, 2, 1, 1, oq_op_axis_init, oq_op_gather_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Expand", "", 8, 2, 2, 1, 1, oq_op_init_none, oq_op_expand_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Tile", "", 6, 2, 2, 1, 1, oq_op_init_none, oq_op_tile_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Shape", "", 1, 1, 1, 1, 1, oq_op_shape_init, oq_op_shape_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Size", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_op_size_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Cast", "", 6, 1, 1, 1, 1, oq_op_cast_init, oq_op_cast_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("CastLike", "", 15, 2, 2, 1, 1, oq_op_init_none, oq_op_cast_like_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Range", "", 11, 3, 3, 1, 1, oq_op_init_none, oq_op_range_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

/* qdq.c */
OQ_OP("QuantizeLinear", "", 10, 2, 3, 1, 1, oq_op_qdq_init, oq_op_quantize_linear_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("DequantizeLinear", "", 10, 2, 3, 1, 1, oq_op_qdq_init, oq_op_dequantize_linear_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)

/* control.c (scopes, issue 5): If runs one of its branch subgraphs through the executor's call->run_subgraph. One
 * row for every opset: later versions only widen the types a branch may return. */
OQ_OP("If", "", 1, 1, 1, 1, OQ_TENSOR_VARIADIC, oq_op_if_init, oq_op_if_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

#undef OQ_TENSOR_VARIADIC
