// Continue training a TF1 model from C++: restore the latest checkpoint of a directory, run its
// train op some steps, print the loss, and save a checkpoint TensorFlow restores.
//   train_cpp MODEL.meta CHECKPOINT_DIR TRAIN_OP LOSS STEPS SAVE_PREFIX
// e.g. train_cpp ckpt/my-model-6.meta ckpt train_op loss:0 3 out/my-model
#include <cstdlib>
#include <iostream>

#include <metarun/metarun.hpp>

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: train_cpp MODEL.meta CHECKPOINT_DIR TRAIN_OP LOSS STEPS SAVE_PREFIX\n";
    return 2;
  }
  try {
    metarun::Model model = metarun::Model::load(argv[1]);
    model.restore(argv[2]);  // a directory: its latest checkpoint
    int steps = std::atoi(argv[5]);
    for (int i = 0; i < steps; ++i) model.run({}, {}, {argv[3]});
    std::vector<metarun::Tensor> loss = model.run({}, {argv[4], "global_step:0"});
    std::cout << "loss " << loss[0].data<float>()[0] << " global_step " << loss[1].data<int64_t>()[0] << "\n";
    std::cout << "saved " << model.save(argv[6], loss[1].data<int64_t>()[0]) << "\n";
  } catch (const metarun::Error& e) {
    std::cerr << "error (code " << e.code() << "): " << e.what() << "\n";
    return 1;
  }
  return 0;
}
