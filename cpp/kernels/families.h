// One registration function per kernel family file, and the function that
// fills the global registry with all of them (once; later calls do nothing).
// A program using the core calls `register_all_kernels()` before running.
#pragma once

namespace metarun {

class Registry;

void register_all_kernels();

void register_state_ops(Registry& r);
void register_binary_ops(Registry& r);
void register_binary_ops_2(Registry& r);
void register_compare_ops(Registry& r);
void register_unary_ops(Registry& r);
void register_string_ops(Registry& r);
void register_string_ops_2(Registry& r);
void register_string_split_ops(Registry& r);
void register_unicode_ops(Registry& r);
void register_regex_ops(Registry& r);
void register_cast_ops(Registry& r);
void register_control_flow_ops(Registry& r);
void register_functional_ops(Registry& r);
void register_parse_example_ops(Registry& r);
void register_tensor_array_ops(Registry& r);
void register_random_ops(Registry& r);
void register_shape_ops(Registry& r);
void register_slice_ops(Registry& r);
void register_concat_ops(Registry& r);
void register_nn_grad_ops(Registry& r);
void register_xent_ops(Registry& r);
void register_grad_util_ops(Registry& r);
void register_pool_grad_ops(Registry& r);
void register_conv_grad_ops(Registry& r);
void register_training_ops(Registry& r);
void register_training_ops_2(Registry& r);
void register_scatter_ops(Registry& r);
void register_array_ops_3(Registry& r);
void register_batchnorm_global_ops(Registry& r);
void register_rnn_block_ops(Registry& r);
void register_gru_block_ops(Registry& r);
void register_cholesky_grad_ops(Registry& r);
void register_bessel_ops(Registry& r);
void register_gather_ops(Registry& r);
void register_select_ops(Registry& r);
void register_fill_ops(Registry& r);
void register_debug_ops(Registry& r);
void register_matmul_ops(Registry& r);
void register_fused_matmul_ops(Registry& r);
void register_fused_elementwise_ops(Registry& r);
void register_einsum_ops(Registry& r);
void register_conv_ops(Registry& r);
void register_pooling_ops(Registry& r);
void register_batchnorm_ops(Registry& r);
void register_reduction_ops(Registry& r);
void register_nn_ops(Registry& r);
void register_softmax_ops(Registry& r);
void register_io_ops(Registry& r);
void register_summary_ops(Registry& r);
void register_segment_ops(Registry& r);
void register_bitwise_scan_ops(Registry& r);
void register_special_math_ops(Registry& r);
void register_linalg_ops(Registry& r);
void register_dataset_ops(Registry& r);
void register_iterator_ops(Registry& r);
void register_decode_raw_ops(Registry& r);
void register_dataset_reader_ops(Registry& r);
void register_dataset_shuffle_ops(Registry& r);
void register_dataset_ops_2(Registry& r);
void register_tensor_list_ops(Registry& r);
void register_stateless_random_ops(Registry& r);
void register_audio_ops(Registry& r);
void register_queue_ops(Registry& r);
void register_lookup_ops(Registry& r);
void register_reader_ops(Registry& r);
void register_fake_quant_ops(Registry& r);
void register_space_batch_ops(Registry& r);
void register_variable_ops_2(Registry& r);
void register_candidate_sampler_ops(Registry& r);
void register_sparse_to_dense_ops(Registry& r);
void register_sparse_ops(Registry& r);
void register_sparse_ops_2(Registry& r);
void register_sparse_ops_3(Registry& r);
void register_fft_ops(Registry& r);
void register_argmax_dilation_ops(Registry& r);
void register_conv3d_ops(Registry& r);
void register_sparse_segment_ops(Registry& r);
void register_sparse_serialize_ops(Registry& r);
void register_set_ops(Registry& r);
void register_count_ops(Registry& r);
void register_ctc_ops(Registry& r);
void register_ctc_beam_ops(Registry& r);
void register_edit_distance_ops(Registry& r);
void register_fractional_pool_ops(Registry& r);
void register_image_resize_ops(Registry& r);
void register_image_crop_ops(Registry& r);
void register_image_scale_ops(Registry& r);
void register_image_glimpse_ops(Registry& r);
void register_image_ops(Registry& r);
void register_image_nms_ops(Registry& r);
void register_image_sample_ops(Registry& r);
void register_image_codec_ops(Registry& r);
void register_parse_sequence_example_ops(Registry& r);
void register_tensor_proto_ops(Registry& r);
void register_decode_csv_ops(Registry& r);
void register_sparse_tensors_map_ops(Registry& r);


}  // namespace metarun
