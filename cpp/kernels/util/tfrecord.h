// Reading TFRecord framing from a stream: what TFRecordDataset and the TF1
// TFRecordReader both read. A record is a little-endian uint64 length, the
// masked crc32c of those 8 bytes, the data, and the masked crc32c of the data.
#pragma once

#include <string>

#include "kernels/util/input_stream.h"

namespace metarun {

// The next record of `in` into *out (replacing it). *got is false at the end
// of the data; a stream that ends inside a record header also ends quietly,
// as in TF. A bad crc or a record cut short is DataLoss naming the offset.
// Memory grows with what the stream really holds, never with a stated length.
Status read_tfrecord(InputStream& in, std::string* out, bool* got);

}  // namespace metarun
