// Internal: flat open-addressing hash tables for the tokenizer's hot lookups (vocab text -> id, symbol pairs).
// std::unordered_map chases a node pointer per probe; these keep the probe sequence in one array.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace minerva {

// A fast, well-mixed 64-bit hash of a short byte string (vocab entries are mostly under 16 bytes).
inline uint64_t hash_text(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (s.size() * 0xFF51AFD7ED558CCDull);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  h = (h ^ w) * 0x94D049BB133111EBull;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}

// Text -> int32 id over strings stored elsewhere (base + offset, never moved while the index lives).
class TextIndex {
 public:
  // Sized for n keys at most half full.
  void reset(const char* base, size_t n) {
    base_ = base;
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
  }

  // Maps the text at base[offset, offset + len) to id; an existing equal text is re-pointed (last wins).
  void insert(uint32_t offset, uint32_t len, int32_t id) {
    const std::string_view s(base_ + offset, len);
    const uint64_t h = hash_text(s);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = {static_cast<uint32_t>(h >> 32), id, offset, len};
        return;
      }
      if (matches(slot, h, s)) {
        slot.id = id;
        return;
      }
    }
  }

  int32_t find(std::string_view s) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash_text(s);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return -1;
      if (matches(slot, h, s)) return slot.id;
    }
  }

 private:
  struct Slot {
    uint32_t tag = 0;  // high hash bits: most mismatches are rejected without touching the text
    int32_t id = -1;   // -1: empty
    uint32_t offset = 0;
    uint32_t len = 0;
  };

  bool matches(const Slot& slot, uint64_t h, std::string_view s) const {
    return slot.tag == static_cast<uint32_t>(h >> 32) && slot.len == s.size() &&
           std::memcmp(base_ + slot.offset, s.data(), s.size()) == 0;
  }

  const char* base_ = nullptr;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// A set of 64-bit keys; ~0 is reserved as the empty marker (callers never use it as a key).
class KeySet {
 public:
  explicit KeySet(const std::vector<uint64_t>& keys = {}) {
    size_t cap = 16;
    while (cap < 2 * keys.size()) cap *= 2;
    slots_.assign(cap, kEmpty);
    mask_ = cap - 1;
    for (uint64_t k : keys) {
      size_t i = mix(k) & mask_;
      while (slots_[i] != kEmpty && slots_[i] != k) i = (i + 1) & mask_;
      slots_[i] = k;
    }
  }

  bool contains(uint64_t k) const {
    for (size_t i = mix(k) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == k) return true;
      if (slots_[i] == kEmpty) return false;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    return k ^ (k >> 33);
  }

  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
};

}  // namespace minerva
