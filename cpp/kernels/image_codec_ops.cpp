// Image codec ops: decoding and encoding JPEG, PNG, GIF and BMP. They run as host kernels:
// JPEG goes through the libjpeg-turbo that the simplejpeg package bundles, and the other
// formats are decoded with Python's zlib, so the core links no image library.
#include "framework/registry.h"

namespace metarun {

void register_image_codec_ops(Registry& r) {
  for (const char* op : {"DecodeJpeg", "DecodeAndCropJpeg", "ExtractJpegShape", "EncodeJpeg",
                         "EncodeJpegVariableQuality", "DecodePng", "EncodePng", "DecodeGif", "DecodeBmp",
                         "DecodeImage"})
    r.add_host(op);
}

}  // namespace metarun
