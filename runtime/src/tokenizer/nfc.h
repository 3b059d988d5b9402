// Unicode Normalization Form C (canonical decomposition, canonical ordering,
// canonical composition; UAX #15), which a tokenizer.json "NFC" normalizer
// asks for. Tables: scripts/gen-unicode-nfc.py.
#ifndef SSMC_SRC_TOKENIZER_NFC_H
#define SSMC_SRC_TOKENIZER_NFC_H

#include <string>
#include <string_view>

namespace ssmc::unicode {

// `text` in NFC. Bytes that are not valid UTF-8 are kept as they are and
// block composition across them (like any starter that composes with
// nothing), so byte strings still round-trip through the tokenizer.
std::string toNFC(std::string_view text);

} // namespace ssmc::unicode

#endif // SSMC_SRC_TOKENIZER_NFC_H
