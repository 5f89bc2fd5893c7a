// The restore half of TensorFlow's import_meta_graph example, in C++. Prints 59.6.
#include <iostream>

#include <metarun/metarun.hpp>

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : SEED_DIR;
  try {
    metarun::Model model = metarun::Model::load(dir + "/model_ex1.meta");
    model.restore(dir + "/model_ex1");
    metarun::Tensor v1 = metarun::Tensor::scalar(12.0f), v2 = metarun::Tensor::scalar(3.3f);
    std::vector<metarun::Tensor> out = model.run({{"v1:0", &v1}, {"v2:0", &v2}}, {"v4:0"});
    std::cout << out[0].data<float>()[0] << "\n";
  } catch (const metarun::Error& e) {
    std::cerr << "error (code " << e.code() << "): " << e.what() << "\n";
    return 1;
  }
  return 0;
}
