// A short, deterministic fuzz run for `make test`, built with g++ (no
// libFuzzer): it links a fuzz target's LLVMFuzzerTestOneInput and feeds it
// the seed corpus, then `--runs` mutations of it drawn from a seeded PRNG, so
// the same inputs are replayed on every run and a failure reproduces.
//
//   <driver> --seed S --runs N SEED_FILE_OR_DIR...
//
// A crash (signal, abort, escaping exception) fails the test; the input that
// caused it is written to ./<driver>-crash.bin first, for `make fuzz` or a
// debugger. Coverage-guided search stays with `make fuzz`.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxLen = 65536;  // as `make fuzz` runs them (-max_len)

// The input under test, for the crash handler (which may only use write(2)).
const std::string* g_current = nullptr;
char g_crash_path[512] = "fuzz-smoke-crash.bin";

void OnCrash(int sig) {
  if (g_current) {
    int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t ignored = ::write(fd, g_current->data(), g_current->size());
      (void)ignored;
      ::close(fd);
    }
    const char msg[] = "fuzz smoke: crashed; the input is in ";
    ssize_t a = ::write(2, msg, sizeof msg - 1);
    ssize_t b = ::write(2, g_crash_path, std::strlen(g_crash_path));
    ssize_t c = ::write(2, "\n", 1);
    (void)a, (void)b, (void)c;
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Byte strings that make parsers take their rarer paths: YAML anchors,
// aliases, merge keys, tags, odd numbers and nesting; protobuf varints and
// lengths at their limits; bad UTF-8.
const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> t = {
      "&a ", "*a", "<<: *a\n", "!!binary ", "!!map ", "? ", "- ", ": ", "\n  ", "\n    - ", "{", "}", "[", "]", "\"",
      "'", "#", "|\n", ">-\n", "---\n", "...\n", "~", ".nan", ".inf", "-.inf", "1e999", "-0", "0x7fffffffffffffff",
      "99999999999999999999999", "-9223372036854775809", "true", "null", "\t", std::string("\0", 1), "\xff\xfe",
      "\xc3\x28", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", "\xff\xff\xff\xff\x0f",
      "\x0a\x00", "\x12\x7f", "\xf2\x01\xff\xff\x03"};
  return t;
}

std::string Mutate(std::string s, const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(pick(4));
  for (int i = 0; i < edits; ++i) {
    switch (pick(9)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // set a random byte
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng());
        break;
      case 2: {  // insert random bytes
        std::string bytes(1 + pick(8), '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        s.insert(pick(s.size() + 1), bytes);
        break;
      }
      case 3: {  // erase a range
        if (s.empty()) break;
        size_t at = pick(s.size());
        s.erase(at, 1 + pick(std::min<size_t>(64, s.size() - at)));
        break;
      }
      case 4: {  // repeat a range (deeper nesting, longer lists, longer fields)
        if (s.empty()) break;
        size_t at = pick(s.size());
        std::string chunk = s.substr(at, 1 + pick(32));
        std::string repeated;
        for (size_t k = 1 + pick(64); k > 0; --k) repeated += chunk;
        s.insert(pick(s.size() + 1), repeated);
        break;
      }
      case 5:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      case 6: {  // splice: our head, another seed's tail
        const std::string& other = seeds[pick(seeds.size())];
        s = s.substr(0, pick(s.size() + 1)) + other.substr(pick(other.size() + 1));
        break;
      }
      default: {  // insert a token
        const auto& tokens = Tokens();
        s.insert(pick(s.size() + 1), tokens[pick(tokens.size())]);
        break;
      }
    }
  }
  if (s.size() > kMaxLen) s.resize(kMaxLen);
  return s;
}

bool ReadFile(const fs::path& p, std::vector<std::string>* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out->emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (out->back().size() > kMaxLen) out->back().resize(kMaxLen);
  return true;
}

int Usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s --seed S --runs N SEED_FILE_OR_DIR...\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  long runs = 1000;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--seed" || a == "--runs") && i + 1 < argc) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(argv[++i], &end, 10);
      if (*end != '\0') return Usage(argv[0]);
      if (a == "--seed") seed = v; else runs = static_cast<long>(v);
      continue;
    }
    fs::path p(a);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());  // directory order is not stable
      for (const auto& f : files) ReadFile(f, &seeds);
    } else if (!ReadFile(p, &seeds)) {
      std::fprintf(stderr, "%s: cannot read seed %s\n", argv[0], a.c_str());
      return 2;
    }
  }
  if (seeds.empty()) return Usage(argv[0]);

  const std::string name = fs::path(argv[0]).filename().string();
  std::snprintf(g_crash_path, sizeof g_crash_path, "%s-crash.bin", name.c_str());
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, OnCrash);

  auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(seed);
  std::string input;
  g_current = &input;
  size_t max_len = 0;
  for (long i = 0; i < static_cast<long>(seeds.size()) + runs; ++i) {
    if (i < static_cast<long>(seeds.size())) {
      input = seeds[i];
    } else {
      // Half the time stack edits on the last input, to reach further from the seeds.
      std::string base = (rng() % 2 == 0 && !input.empty()) ? input : seeds[rng() % seeds.size()];
      input = Mutate(std::move(base), seeds, rng);
    }
    max_len = std::max(max_len, input.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fuzz smoke %s: %zu seeds + %ld mutations (seed %llu, longest %zu bytes) in %.2f s, no crash\n",
              name.c_str(), seeds.size(), runs, static_cast<unsigned long long>(seed), max_len, s);
  return 0;
}
