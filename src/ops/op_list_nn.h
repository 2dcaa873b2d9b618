/* Operator rows, nn family. No include guard: included with different OQ_OP definitions.
 * OQ_OP(op_type, domain, since_version, min_in, max_in, min_out, max_out, init, exec, free_params, flags)
 * Rows for later since_versions of the same op repeat the functions when only the schema text changed, so that
 * the table documents what each opset accepts (arity differences are real: Gemm's C optional from 11,
 * BatchNormalization's training outputs dropped in 14). */

/* conv.c */
OQ_OP("Conv", "", 1, 2, 3, 1, 1, oq_conv_init, oq_conv_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Conv", "", 11, 2, 3, 1, 1, oq_conv_init, oq_conv_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

/* gemm.c */
/* opsets 1 and 6 only broadcast C with broadcast=1; broadcasting always accepts a superset of those models */
OQ_OP("Gemm", "", 1, 3, 3, 1, 1, oq_gemm_init, oq_gemm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gemm", "", 6, 3, 3, 1, 1, oq_gemm_init, oq_gemm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gemm", "", 7, 3, 3, 1, 1, oq_gemm_init, oq_gemm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gemm", "", 9, 3, 3, 1, 1, oq_gemm_init, oq_gemm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gemm", "", 11, 2, 3, 1, 1, oq_gemm_init, oq_gemm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("Gemm", "", 13, 2, 3, 1, 1, oq_gemm_init, oq_gemm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MatMul", "", 1, 2, 2, 1, 1, oq_op_init_none, oq_matmul_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MatMul", "", 9, 2, 2, 1, 1, oq_op_init_none, oq_matmul_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MatMul", "", 13, 2, 2, 1, 1, oq_op_init_none, oq_matmul_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

/* pool.c (MaxPool's optional Indices output is refused at load time) */
OQ_OP("MaxPool", "", 1, 1, 1, 1, 1, oq_maxpool_init, oq_maxpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MaxPool", "", 8, 1, 1, 1, 2, oq_maxpool_init, oq_maxpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MaxPool", "", 10, 1, 1, 1, 2, oq_maxpool_init, oq_maxpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MaxPool", "", 11, 1, 1, 1, 2, oq_maxpool_init, oq_maxpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("MaxPool", "", 12, 1, 1, 1, 2, oq_maxpool_init, oq_maxpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("AveragePool", "", 1, 1, 1, 1, 1, oq_avgpool_init, oq_avgpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("AveragePool", "", 7, 1, 1, 1, 1, oq_avgpool_init, oq_avgpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("AveragePool", "", 10, 1, 1, 1, 1, oq_avgpool_init, oq_avgpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("AveragePool", "", 11, 1, 1, 1, 1, oq_avgpool_init, oq_avgpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("AveragePool", "", 19, 1, 1, 1, 1, oq_avgpool_init, oq_avgpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("GlobalAveragePool", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_global_avgpool_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("GlobalMaxPool", "", 1, 1, 1, 1, 1, oq_op_init_none, oq_global_maxpool_exec, oq_op_params_free, OQ_OP_FLAG_NONE)

/* norm.c (inference only) */
OQ_OP("BatchNormalization", "", 6, 5, 5, 1, 5, oq_batchnorm_init, oq_batchnorm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("BatchNormalization", "", 7, 5, 5, 1, 5, oq_batchnorm_init, oq_batchnorm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("BatchNormalization", "", 9, 5, 5, 1, 5, oq_batchnorm_init, oq_batchnorm_exec, oq_op_params_free, OQ_OP_FLAG_NONE)
OQ_OP("BatchNormalization", "", 14, 5, 5, 1, 3, oq_batchnorm_init, oq_batchnorm_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
OQ_OP("BatchNormalization", "", 15, 5, 5, 1, 3, oq_batchnorm_init, oq_batchnorm_exec, oq_op_params_free,
      OQ_OP_FLAG_NONE)
