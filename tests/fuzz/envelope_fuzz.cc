// libFuzzer target: whatever bytes arrive on the bus, decoding never crashes,
// and what decodes re-encodes to an envelope that decodes the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "runtime/bus/envelope_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kaizen::bus;
  Decoded d = Decode(data, size, 1 << 20);
  if (d.error != DecodeError::kNone) return 0;
  const std::string again = Encode(d.envelope);
  Decoded d2 = Decode(again.data(), again.size(), 1 << 21);
  if (d2.error != DecodeError::kNone || Encode(d2.envelope) != again) std::abort();
  return 0;
}
