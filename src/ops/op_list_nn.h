/* Operator rows, nn family. No include guard: included with different OQ_OP definitions.
 * OQ_OP(op_type, domain, since_version, min_in, max_in, min_out, max_out, init, exec, free_params, flags) */
