#include <mutex>

#include "framework/registry.h"
#include "kernels/families.h"

namespace metarun {

void register_all_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registry& r = Registry::global();
    register_state_ops(r);
    register_binary_ops(r);
    register_binary_ops_2(r);
    register_compare_ops(r);
    register_unary_ops(r);
    register_string_ops(r);
    register_string_ops_2(r);
    register_string_split_ops(r);
    register_unicode_ops(r);
    register_regex_ops(r);
    register_cast_ops(r);
    register_control_flow_ops(r);
    register_functional_ops(r);
    register_parse_example_ops(r);
    register_tensor_array_ops(r);
    register_random_ops(r);
    register_shape_ops(r);
    register_slice_ops(r);
    register_concat_ops(r);
    register_nn_grad_ops(r);
    register_xent_ops(r);
    register_grad_util_ops(r);
    register_pool_grad_ops(r);
    register_conv_grad_ops(r);
    register_training_ops(r);
    register_training_ops_2(r);
    register_scatter_ops(r);
    register_array_ops_3(r);
    register_batchnorm_global_ops(r);
    register_rnn_block_ops(r);
    register_gru_block_ops(r);
    register_cholesky_grad_ops(r);
    register_bessel_ops(r);
    register_gather_ops(r);
    register_select_ops(r);
    register_fill_ops(r);
    register_debug_ops(r);
    register_matmul_ops(r);
    register_fused_matmul_ops(r);
    register_fused_elementwise_ops(r);
    register_einsum_ops(r);
    register_conv_ops(r);
    register_pooling_ops(r);
    register_batchnorm_ops(r);
    register_reduction_ops(r);
    register_nn_ops(r);
    register_softmax_ops(r);
    register_io_ops(r);
    register_summary_ops(r);
    register_segment_ops(r);
    register_bitwise_scan_ops(r);
    register_special_math_ops(r);
    register_linalg_ops(r);
    register_dataset_ops(r);
    register_iterator_ops(r);
    register_decode_raw_ops(r);
    register_dataset_reader_ops(r);
    register_dataset_shuffle_ops(r);
    register_dataset_ops_2(r);
    register_tensor_list_ops(r);
    register_stateless_random_ops(r);
    register_audio_ops(r);
    register_queue_ops(r);
    register_lookup_ops(r);
    register_reader_ops(r);
    register_fake_quant_ops(r);
    register_space_batch_ops(r);
    register_variable_ops_2(r);
    register_candidate_sampler_ops(r);
    register_sparse_to_dense_ops(r);
    register_sparse_ops(r);
    register_sparse_ops_2(r);
    register_sparse_ops_3(r);
    register_fft_ops(r);
    register_argmax_dilation_ops(r);
    register_conv3d_ops(r);
    register_sparse_segment_ops(r);
    register_sparse_serialize_ops(r);
    register_set_ops(r);
    register_count_ops(r);
    register_ctc_ops(r);
    register_ctc_beam_ops(r);
    register_edit_distance_ops(r);
    register_fractional_pool_ops(r);
    register_image_resize_ops(r);
    register_image_crop_ops(r);
    register_image_scale_ops(r);
    register_image_glimpse_ops(r);
    register_image_ops(r);
    register_image_nms_ops(r);
    register_image_sample_ops(r);
    register_image_codec_ops(r);
    register_parse_sequence_example_ops(r);
    register_tensor_proto_ops(r);
    register_decode_csv_ops(r);
    register_sparse_tensors_map_ops(r);
  });
}

}  // namespace metarun
