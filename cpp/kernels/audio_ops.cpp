// Audio ops of TF's speech models: DecodeWav / EncodeWav (16-bit PCM WAV,
// samples as floats in [-1, 1)), AudioSpectrogram (periodic Hann window,
// power-of-two FFT) and Mfcc (HTK-style mel filterbank, log, DCT-II), with
// TF's checks, messages and quirks.
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

// ---- WAV -------------------------------------------------------------------

// A bounds-checked little-endian reader with TF's messages for short input.
// Offsets stay within int as TF's do (contents are at most INT_MAX bytes).
class WavReader {
 public:
  explicit WavReader(const std::string& s) : s_(s) {}
  int64_t offset() const { return offset_; }
  void skip(int64_t n) { offset_ += n; }
  bool more() const { return offset_ < static_cast<int64_t>(s_.size()); }

  Status advance(int64_t n, int64_t* start) {
    if (offset_ > static_cast<int64_t>(s_.size()))
      return invalid_argument(str_cat("Initial offset is outside data range: ", offset_));
    if (offset_ + n > static_cast<int64_t>(s_.size()))
      return invalid_argument("Data too short when trying to read string");
    *start = offset_;
    offset_ += n;
    return Status();
  }
  Status text(std::string* out) {
    int64_t at;
    MR_RETURN_IF_ERROR(advance(4, &at));
    *out = s_.substr(at, 4);
    return Status();
  }
  Status expect(const char* want) {
    std::string found;
    MR_RETURN_IF_ERROR(text(&found));
    if (found != want) return invalid_argument(str_cat("Header mismatch: Expected ", want, " but found ", found));
    return Status();
  }
  template <class T>
  Status value(T* out) {
    int64_t at;
    MR_RETURN_IF_ERROR(advance(sizeof(T), &at));
    std::memcpy(out, s_.data() + at, sizeof(T));  // the host is little-endian
    return Status();
  }

 private:
  const std::string& s_;
  int64_t offset_ = 0;
};

struct WavAudio {
  std::vector<float> samples;  // frames * channels, interleaved
  uint32_t frames = 0;
  uint16_t channels = 0;
  uint32_t sample_rate = 0;
};

bool skippable_before_fmt(const std::string& id) {
  for (const char* k : {"JUNK", "bext", "iXML", "qlty", "mext", "levl", "link", "axml"})
    if (id == k) return true;
  return false;
}

Status read_format(WavReader& in, WavAudio* wav) {
  uint32_t fmt_size;
  MR_RETURN_IF_ERROR(in.value(&fmt_size));
  MR_REQUIRE(fmt_size == 16 || fmt_size == 18, "Bad format chunk size for WAV: Expected 16 or 18, but got", fmt_size);
  uint16_t format, bytes_per_frame, bits;
  uint32_t bytes_per_second;
  MR_RETURN_IF_ERROR(in.value(&format));
  MR_REQUIRE(format == 1, "Bad audio format for WAV: Expected 1 (PCM), but got", format);
  MR_RETURN_IF_ERROR(in.value(&wav->channels));
  MR_REQUIRE(wav->channels >= 1, "Bad number of channels for WAV: Expected at least 1, but got ", wav->channels);
  MR_RETURN_IF_ERROR(in.value(&wav->sample_rate));
  MR_RETURN_IF_ERROR(in.value(&bytes_per_second));
  MR_RETURN_IF_ERROR(in.value(&bytes_per_frame));
  MR_RETURN_IF_ERROR(in.value(&bits));
  MR_REQUIRE(bits == 16, "Can only read 16-bit WAV files, but received ", bits);
  const uint32_t want_frame = (16u * wav->channels + 7) / 8;
  MR_REQUIRE(bytes_per_frame == want_frame, "Bad bytes per sample in WAV header: Expected ", want_frame, " but got ",
             bytes_per_frame);
  const uint32_t want_second = static_cast<uint32_t>(bytes_per_frame) * wav->sample_rate;  // wraps as TF's does
  MR_REQUIRE(bytes_per_second == want_second, "Bad bytes per second in WAV header: Expected ", want_second,
             " but got ", bytes_per_second, " (sample_rate=", wav->sample_rate, ", bytes_per_sample=",
             bytes_per_frame, ")");
  if (fmt_size == 18) in.skip(2);
  return Status();
}

Status read_data(WavReader& in, const std::string& s, WavAudio* wav) {
  bool found = false;
  const uint32_t bytes_per_frame = 2u * wav->channels;
  while (in.more()) {
    std::string id;
    uint32_t size;
    MR_RETURN_IF_ERROR(in.text(&id));
    MR_RETURN_IF_ERROR(in.value(&size));
    MR_REQUIRE(size <= static_cast<uint32_t>(std::numeric_limits<int32_t>::max()), "WAV data chunk '", id,
               "' is too large: ", size, " bytes, but the limit is ", std::numeric_limits<int32_t>::max());
    if (id != "data") {
      in.skip(size);
      continue;
    }
    MR_REQUIRE(!found, "More than one data chunk found in WAV");
    found = true;
    wav->frames = size / bytes_per_frame;
    const int64_t count = static_cast<int64_t>(wav->frames) * wav->channels;
    int64_t at;
    MR_RETURN_IF_ERROR(in.advance(2 * count, &at));
    wav->samples.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      int16_t v;
      std::memcpy(&v, s.data() + at + 2 * i, 2);
      wav->samples[i] = v * (1.0f / 32768.0f);
    }
  }
  MR_REQUIRE(found, "No data chunk found in WAV");
  return Status();
}

Status decode_wav(const std::string& s, WavAudio* wav) {
  WavReader in(s);
  uint32_t riff_size;
  MR_RETURN_IF_ERROR(in.expect("RIFF"));
  MR_RETURN_IF_ERROR(in.value(&riff_size));
  MR_RETURN_IF_ERROR(in.expect("WAVE"));
  std::string id;
  MR_RETURN_IF_ERROR(in.text(&id));
  // Padding and broadcast-WAV chunks may precede "fmt "; nothing else may.
  while (id != "fmt ") {
    MR_REQUIRE(skippable_before_fmt(id), "Unexpected field ", id);
    uint32_t size;
    int64_t at;
    MR_RETURN_IF_ERROR(in.value(&size));
    MR_RETURN_IF_ERROR(in.advance(size, &at));
    MR_RETURN_IF_ERROR(in.text(&id));
  }
  MR_RETURN_IF_ERROR(read_format(in, wav));
  return read_data(in, s, wav);
}

class DecodeWavOp : public OpKernel {
 public:
  explicit DecodeWavOp(KernelInit& init) {
    // Attrs a NodeDef leaves out take the OpDef's defaults (graphs stripped of them).
    if (init.has_attr("desired_channels")) init.get("desired_channels", &desired_channels_);
    if (init.has_attr("desired_samples")) init.get("desired_samples", &desired_samples_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == 0, "contents must be scalar, got shape ", shape_str(in.shape()));
    const std::string& s = in.scalar_value<std::string>();
    MR_REQUIRE(s.size() <= static_cast<size_t>(std::numeric_limits<int>::max()),
               "WAV contents are too large for int: ", s.size());
    WavAudio wav;
    MR_RETURN_IF_ERROR(decode_wav(s, &wav));
    // TF checks the attrs only after a successful decode.
    MR_REQUIRE(desired_channels_ >= -1, "desired_channels must be >= -1, got ", desired_channels_);
    MR_REQUIRE(desired_samples_ >= -1, "desired_samples must be >= -1, got ", desired_samples_);
    // TF keeps the decoded counts in int32: a count past INT32_MAX wraps negative.
    const int32_t frames = desired_samples_ == -1 ? static_cast<int32_t>(wav.frames) : desired_samples_;
    const int32_t channels = desired_channels_ == -1 ? static_cast<int32_t>(wav.channels) : desired_channels_;
    MR_REQUIRE(frames >= 0, "Output sample count must be >= 0, got ", frames);
    MR_REQUIRE(channels >= 0, "Output channel count must be >= 0, got ", channels);
    Tensor& out = ctx.allocate_output(0, {frames, channels});
    float* dst = out.data<float>();
    // Missing frames are silence; extra channels repeat the last decoded one.
    for (int64_t f = 0; f < frames; ++f) {
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t src = c < wav.channels ? c : wav.channels - 1;
        dst[f * channels + c] = f < wav.frames ? wav.samples[f * wav.channels + src] : 0.0f;
      }
    }
    ctx.allocate_output(1, {}).data<int32_t>()[0] = static_cast<int32_t>(wav.sample_rate);
    return Status();
  }

 private:
  int desired_channels_ = -1;
  int desired_samples_ = -1;
};

void put_le(std::string& s, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// roundf then clamp in float, as TF; NaN survives both and its conversion
// gives 0 on the hosts TF runs on.
int16_t float_to_s16(float x) {
  float r = std::round(x * 32768.0f);
  if (std::isnan(r)) return 0;
  if (r < -32768.0f) r = -32768.0f;
  if (r > 32767.0f) r = 32767.0f;
  return static_cast<int16_t>(r);
}

class EncodeWavOp : public OpKernel {
 public:
  explicit EncodeWavOp(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& audio = ctx.input(0);
    MR_REQUIRE(audio.rank() == 2, "audio must be 2-dimensional", shape_str(audio.shape()));
    int32_t rate32;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "Input sample_rate should be a scalar tensor, got {} instead.", &rate32));
    MR_REQUIRE(audio.num_elements() < std::numeric_limits<int32_t>::max(),
               "Cannot encode audio with >= max int32 elements");
    const uint64_t frames = static_cast<uint64_t>(audio.shape()[0]);
    const uint64_t channels = static_cast<uint64_t>(audio.shape()[1]);
    // TF widens the int32 rate to size_t, so a negative one reads as huge.
    const uint64_t rate = static_cast<uint64_t>(static_cast<int64_t>(rate32));
    MR_REQUIRE(rate != 0 && rate <= 0xffffffffull, "sample_rate must be in (0, 2^32), got: ", rate);
    MR_REQUIRE(channels != 0 && channels <= 0xffff, "num_channels must be in (0, 2^16), got: ", channels);
    const uint64_t samples = frames * channels;
    const uint64_t file_size = 44 + 2 * samples;
    MR_REQUIRE(file_size <= 0xffffffffull, "Provided channels and frames cannot be encoded as a WAV.");
    std::string s(file_size, '\0');
    std::memcpy(&s[0], "RIFF", 4);
    put_le(s, 4, file_size - 8, 4);
    std::memcpy(&s[8], "WAVEfmt ", 8);
    put_le(s, 16, 16, 4);
    put_le(s, 20, 1, 2);
    put_le(s, 22, channels, 2);
    put_le(s, 24, rate, 4);
    put_le(s, 28, rate * 2 * channels, 4);
    put_le(s, 32, 2 * channels, 2);
    put_le(s, 34, 16, 2);
    std::memcpy(&s[36], "data", 4);
    put_le(s, 40, 2 * samples, 4);
    const float* x = audio.data<float>();
    for (uint64_t i = 0; i < samples; ++i) put_le(s, 44 + 2 * i, static_cast<uint16_t>(float_to_s16(x[i])), 2);
    ctx.allocate_output(0, {}).data<std::string>()[0] = std::move(s);
    return Status();
  }
};

// ---- spectrogram -----------------------------------------------------------

// In-place radix-2 FFT of a power-of-two length, in double as TF's rdft.
void fft_pow2(std::vector<std::complex<double>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  const double pi = std::atan(1.0) * 4;
  for (size_t len = 2; len <= n; len <<= 1) {
    for (size_t k = 0; k < len / 2; ++k) {
      const double ang = -2 * pi * static_cast<double>(k) / static_cast<double>(len);
      const std::complex<double> w(std::cos(ang), std::sin(ang));
      for (size_t i = 0; i < n; i += len) {
        const std::complex<double> u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
      }
    }
  }
}

class AudioSpectrogramOp : public OpKernel {
 public:
  explicit AudioSpectrogramOp(KernelInit& init) {
    init.get("window_size", &window_);
    init.get("stride", &stride_);
    if (init.has_attr("magnitude_squared")) init.get("magnitude_squared", &squared_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == 2, "input must be 2-dimensional", shape_str(in.shape()));
    // TF 2.21 checks the attrs only here, after the input's rank.
    MR_REQUIRE(window_ >= 2 && stride_ >= 1, "Spectrogram initialization failed for window size ", window_,
               " and stride ", stride_);
    const int64_t frames = in.shape()[0], channels = in.shape()[1];
    int64_t fft_len = 1;
    while (fft_len < window_) fft_len <<= 1;
    const int64_t width = fft_len / 2 + 1;
    const int64_t height = frames < window_ ? 0 : 1 + (frames - window_) / stride_;
    Tensor& out = ctx.allocate_output(0, {channels, height, width});
    float* dst = out.data<float>();
    const float* x = in.data<float>();
    // TF's periodic Hann window, in double.
    const double pi = std::atan(1.0) * 4;
    std::vector<double> hann(window_);
    for (int i = 0; i < window_; ++i) hann[i] = 0.5 - 0.5 * std::cos((2 * pi * i) / window_);
    std::vector<std::complex<double>> buf(fft_len);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t h = 0; h < height; ++h) {
        const int64_t start = h * stride_;
        for (int64_t j = 0; j < fft_len; ++j)
          buf[j] = j < window_ ? static_cast<double>(x[(start + j) * channels + c]) * hann[j] : 0.0;
        fft_pow2(buf);
        float* row = dst + (c * height + h) * width;
        for (int64_t k = 0; k < width; ++k) {
          const double re = buf[k].real(), im = buf[k].imag();
          const float power = static_cast<float>(re * re + im * im);
          row[k] = squared_ ? power : std::sqrt(power);
        }
      }
    }
    return Status();
  }

 private:
  int window_ = 0;
  int stride_ = 0;
  bool squared_ = false;
};

// ---- MFCC ------------------------------------------------------------------

double freq_to_mel(double f) { return 1127.0 * std::log1p(f / 700.0); }

// TF's mel filterbank: triangles between mel-spaced centres over the FFT bins
// from just above `lower` to `upper` (DC always excluded, as HTK), each bin
// splitting its magnitude between the channel on its right slope and the next.
struct MelFilterbank {
  int channels = 0;
  int start = 0, end = 0;
  std::vector<int> band;
  std::vector<double> weight;

  bool init(int input_length, double rate, int count, double lower, double upper) {
    channels = count;
    if (count < 1 || rate <= 0 || input_length < 2 || lower < 0 || upper <= lower) return false;
    std::vector<double> centre(count + 1);
    const double mel_low = freq_to_mel(lower), mel_hi = freq_to_mel(upper);
    const double spacing = (mel_hi - mel_low) / static_cast<double>(count + 1);
    for (int i = 0; i <= count; ++i) centre[i] = mel_low + spacing * (i + 1);
    const double hz_per_bin = 0.5 * rate / static_cast<double>(input_length - 1);
    start = static_cast<int>(1.5 + lower / hz_per_bin);
    end = static_cast<int>(upper / hz_per_bin);
    band.assign(input_length, -2);
    weight.assign(input_length, 0.0);
    int ch = 0;
    for (int i = 0; i < input_length; ++i) {
      if (i < start || i > end) continue;
      const double mel = freq_to_mel(i * hz_per_bin);
      while (ch < count && centre[ch] < mel) ++ch;
      band[i] = ch - 1;
      weight[i] = band[i] >= 0 ? (centre[band[i] + 1] - mel) / (centre[band[i] + 1] - centre[band[i]])
                               : (centre[0] - mel) / (centre[0] - mel_low);
    }
    return true;
  }

  // TF leaves the output empty when the spectrum stops below `upper`.
  void compute(const float* power, int length, std::vector<double>* out) const {
    out->clear();
    if (length <= end) return;
    out->assign(channels, 0.0);
    for (int i = start; i <= end; ++i) {
      const double mag = std::sqrt(static_cast<double>(power[i]));
      const double right = mag * weight[i];
      if (band[i] >= 0) (*out)[band[i]] += right;
      if (band[i] + 1 < channels) (*out)[band[i] + 1] += mag - right;
    }
  }
};

class MfccOp : public OpKernel {
 public:
  explicit MfccOp(KernelInit& init) {
    if (init.has_attr("upper_frequency_limit")) init.get("upper_frequency_limit", &upper_);
    if (init.has_attr("lower_frequency_limit")) init.get("lower_frequency_limit", &lower_);
    if (init.has_attr("filterbank_channel_count")) init.get("filterbank_channel_count", &filters_);
    if (init.has_attr("dct_coefficient_count")) init.get("dct_coefficient_count", &coefficients_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& spec = ctx.input(0);
    MR_REQUIRE(spec.rank() == 3, "spectrogram must be 3-dimensional", shape_str(spec.shape()));
    int32_t rate;
    MR_RETURN_IF_ERROR(scalar_input(ctx, 1, "Input sample_rate should be a scalar tensor, got {} instead.", &rate));
    const int bins = static_cast<int>(spec.shape()[2]);
    const int64_t rows = spec.shape()[0] * spec.shape()[1];
    MelFilterbank bank;
    const bool ok = bank.init(bins, rate, filters_, lower_, upper_) && coefficients_ >= 1 &&
                    coefficients_ <= filters_;
    MR_REQUIRE(ok, "Mfcc initialization failed for channel count ", bins, ", sample rate ", rate,
               " and filterbank_channel_count ", filters_);
    // DCT-II with sqrt(2/N) scaling over the log filterbank energies.
    const double pi = std::atan(1.0) * 4;
    const double norm = std::sqrt(2.0 / filters_);
    std::vector<double> cosines(static_cast<size_t>(coefficients_) * filters_);
    for (int i = 0; i < coefficients_; ++i)
      for (int j = 0; j < filters_; ++j) cosines[i * filters_ + j] = norm * std::cos(i * (pi / filters_) * (j + 0.5));
    Tensor& out = ctx.allocate_output(0, {spec.shape()[0], spec.shape()[1], coefficients_});
    float* dst = out.data<float>();
    const float* src = spec.data<float>();
    std::vector<double> mel;
    for (int64_t r = 0; r < rows; ++r) {
      bank.compute(src + r * bins, bins, &mel);
      for (double& v : mel) v = std::log(v < 1e-12 ? 1e-12 : v);
      for (int i = 0; i < coefficients_; ++i) {
        double sum = 0.0;
        for (size_t j = 0; j < mel.size(); ++j) sum += cosines[i * filters_ + j] * mel[j];
        dst[r * coefficients_ + i] = static_cast<float>(sum);
      }
    }
    return Status();
  }

 private:
  float upper_ = 4000, lower_ = 20;
  int filters_ = 40, coefficients_ = 13;
};

}  // namespace

void register_audio_ops(Registry& r) {
  r.add("DecodeWav", make_kernel<DecodeWavOp>);
  r.add("EncodeWav", make_kernel<EncodeWavOp>);
  r.add("AudioSpectrogram", make_kernel<AudioSpectrogramOp>);
  r.add("Mfcc", make_kernel<MfccOp>);
}

}  // namespace metarun
