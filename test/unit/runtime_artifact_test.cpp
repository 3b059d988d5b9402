// The container: writer -> reader round trip, and malformed files that must
// each give one clear error (never a crash).
#include "runtime_TestUtil.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace rt_test;
using ssmc::Artifact;
using ssmc::RuntimeError;

namespace {

// Reads the image; returns the error message ("" if it was accepted).
std::string readError(const std::vector<uint8_t> &image, bool verify = true) {
  ssmc::ArtifactReadOptions o;
  o.verifyPayloadChecksums = verify;
  try {
    Artifact::fromBytes(image, "x.ssmc", o);
    return "";
  } catch (const RuntimeError &e) {
    return e.what();
  }
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

#define EXPECT_READ_ERROR(image, text)                                         \
  do {                                                                         \
    std::string msg_ = readError(image);                                       \
    EXPECT_NE(msg_.find(text), std::string::npos) << "got: " << msg_;          \
    EXPECT_EQ(msg_.rfind("x.ssmc: ", 0), 0u) << "error must name the file";   \
  } while (0)

TEST(RuntimeArtifact, Fnv1a64KnownValues) {
  EXPECT_EQ(ssmc::fnv1a64("", 0), 0xcbf29ce484222325ULL);
  EXPECT_EQ(ssmc::fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(ssmc::fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
  EXPECT_EQ(ssmc::checksumToHex(0xabcULL), "0000000000000abc");
}

TEST(RuntimeArtifact, RoundTrip) {
  TempDir dir;
  ssmc::ArtifactWriter w;
  w.setManifest(R"({"format": "ssmc-artifact"})");
  std::vector<uint8_t> a(100);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<uint8_t>(i * 7);
  w.addSection("weights", a);
  w.addSection("empty", std::vector<uint8_t>{});
  w.addSection("tokenizer.json", "{}", 2);
  std::string error;
  ASSERT_TRUE(w.write(dir.file("a.ssmc"), error)) << error;

  auto art = Artifact::open(dir.file("a.ssmc"));
  EXPECT_EQ(art->version(), 1u);
  ASSERT_EQ(art->sections().size(), 4u);
  EXPECT_EQ(art->sections()[0].name, "manifest");
  EXPECT_EQ(art->manifestText(), R"({"format": "ssmc-artifact"})");
  const ssmc::ArtifactSection *s = art->find("weights");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->size, 100u);
  EXPECT_EQ(std::memcmp(s->data, a.data(), a.size()), 0);
  for (const auto &sec : art->sections()) {
    EXPECT_EQ(sec.offset % 64, 0u) << sec.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(sec.data) % 64, 0u) << sec.name;
  }
  EXPECT_EQ(art->find("empty")->size, 0u);
  EXPECT_EQ(art->find("missing"), nullptr);
}

// A section produced while the file is written is byte for byte the section
// given whole (the weights of ssmc-compile stream this way).
TEST(RuntimeArtifact, StreamedSectionMatchesWholeSection) {
  TempDir dir;
  std::vector<uint8_t> a(1000);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<uint8_t>(i * 13 + 1);
  auto build = [&](bool streamed) {
    ssmc::ArtifactWriter w;
    w.setManifest(R"({"format": "ssmc-artifact"})");
    w.addSection("first", "abc", 3);
    if (streamed)
      w.addStreamedSection("weights", a.size(), [&](const ssmc::ArtifactWriter::Sink &sink) {
        return sink(a.data(), 10) && sink(a.data() + 10, 0) && sink(a.data() + 10, a.size() - 10);
      });
    else
      w.addSection("weights", a);
    w.addSection("last", "xy", 2);
    return w;
  };
  std::vector<uint8_t> whole, streamed;
  std::string error;
  ASSERT_TRUE(build(false).serialize(whole, error)) << error;
  ASSERT_TRUE(build(true).serialize(streamed, error)) << error;
  EXPECT_EQ(whole, streamed);
  ASSERT_TRUE(build(true).write(dir.file("s.ssmc"), error)) << error;
  EXPECT_EQ(readFile(dir.file("s.ssmc")), whole);
  EXPECT_EQ(readError(whole), "");
}

TEST(RuntimeArtifact, StreamedSectionOfTheWrongSizeIsAnError) {
  TempDir dir;
  const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  std::string error;
  std::vector<uint8_t> out;
  for (size_t produced : {size_t(4), size_t(8)}) {
    ssmc::ArtifactWriter w;
    w.setManifest("{}");
    w.addStreamedSection("weights", 6, [&](const ssmc::ArtifactWriter::Sink &sink) {
      return sink(bytes, produced);
    });
    EXPECT_FALSE(w.serialize(out, error));
    EXPECT_NE(error.find(produced == 4 ? "section 'weights' produced 4 of its 6 bytes"
                                       : "section 'weights' produced more than its 6 bytes"),
              std::string::npos)
        << error;
    EXPECT_FALSE(w.write(dir.file("w.ssmc"), error));
    EXPECT_NE(error.find(dir.file("w.ssmc")), std::string::npos) << error;
    EXPECT_FALSE(std::filesystem::exists(dir.file("w.ssmc")));
  }
  ssmc::ArtifactWriter w;
  w.setManifest("{}");
  w.addStreamedSection("weights", 6, [](const ssmc::ArtifactWriter::Sink &) { return false; });
  EXPECT_FALSE(w.serialize(out, error));
  EXPECT_NE(error.find("section 'weights': write failed"), std::string::npos) << error;
}

TEST(RuntimeArtifact, WriterRejectsBadInput) {
  std::vector<uint8_t> out;
  std::string error;
  {
    ssmc::ArtifactWriter w;
    EXPECT_FALSE(w.serialize(out, error));
    EXPECT_NE(error.find("no manifest"), std::string::npos);
  }
  {
    ssmc::ArtifactWriter w;
    w.setManifest("{not json");
    EXPECT_FALSE(w.serialize(out, error));
    EXPECT_NE(error.find("not well-formed JSON"), std::string::npos);
  }
  {
    ssmc::ArtifactWriter w;
    w.setManifest("{}");
    w.addSection("manifest", "x", 1);
    EXPECT_FALSE(w.serialize(out, error));
    EXPECT_NE(error.find("duplicate section name 'manifest'"), std::string::npos);
  }
  {
    ssmc::ArtifactWriter w;
    w.setManifest("{}");
    w.addSection(std::string(32, 'a'), "x", 1);
    EXPECT_FALSE(w.serialize(out, error));
    EXPECT_NE(error.find("longer than 31"), std::string::npos);
  }
  {
    ssmc::ArtifactWriter w;
    w.setManifest("{}");
    for (int i = 0; i < 64; ++i)
      w.addSection("s" + std::to_string(i), "x", 1);
    EXPECT_FALSE(w.serialize(out, error));
    EXPECT_NE(error.find("too many sections: 65"), std::string::npos);
  }
  {
    ssmc::ArtifactWriter w;
    w.setManifest("{}");
    EXPECT_FALSE(w.write("/nonexistent-dir/x.ssmc", error));
    EXPECT_NE(error.find("/nonexistent-dir/x.ssmc"), std::string::npos);
  }
}

TEST(RuntimeArtifact, MissingFile) {
  try {
    Artifact::open("/nonexistent/model.ssmc");
    FAIL();
  } catch (const RuntimeError &e) {
    EXPECT_EQ(e.code(), ssmc::ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.ssmc: cannot open"),
              std::string::npos);
  }
}

TEST(RuntimeArtifact, ValidImageIsAccepted) { EXPECT_EQ(readError(toyImage()), ""); }

TEST(RuntimeArtifact, BadMagic) {
  auto img = toyImage();
  img[0] = 'X';
  EXPECT_READ_ERROR(img, "bad magic");
}

TEST(RuntimeArtifact, WrongVersion) {
  auto img = toyImage();
  img[8] = 2;
  EXPECT_READ_ERROR(img, "unsupported format version 2 (this reader knows version 1)");
}

TEST(RuntimeArtifact, SectionCountZeroOrTooBig) {
  auto img = toyImage();
  std::memset(&img[12], 0, 4);
  EXPECT_READ_ERROR(img, "section count 0 is outside [1, 64]");
  img[12] = 65;
  EXPECT_READ_ERROR(img, "section count 65 is outside [1, 64]");
  img[12] = 60; // plausible count, but the table does not fit
  EXPECT_READ_ERROR(img, "runs past the end of the file");
}

TEST(RuntimeArtifact, TableChecksumMismatch) {
  auto img = toyImage();
  img[24 + 64 + 40] ^= 1; // a size byte of section 1
  EXPECT_READ_ERROR(img, "section table checksum mismatch");
}

TEST(RuntimeArtifact, PayloadChecksumMismatch) {
  auto img = toyImage();
  img[tableField(img, 1, 32) + 3] ^= 0x40; // a weight byte
  EXPECT_READ_ERROR(img, "section 'weights': payload checksum mismatch");
  EXPECT_EQ(readError(img, /*verify=*/false), ""); // --no-verify skips it
}

TEST(RuntimeArtifact, Truncated) {
  auto img = toyImage();
  EXPECT_READ_ERROR(std::vector<uint8_t>(img.begin(), img.begin() + 10),
                    "too short for the 24-byte header");
  EXPECT_READ_ERROR(std::vector<uint8_t>(img.begin(), img.begin() + 100),
                    "section table of 2 entries runs past the end");
  EXPECT_READ_ERROR(std::vector<uint8_t>(img.begin(), img.end() - 1),
                    "lies outside the file");
}

TEST(RuntimeArtifact, SectionOutOfBounds) {
  auto img = toyImage();
  setTableField(img, 1, 40, ~0ull - 10); // size near 2^64: no wraparound
  EXPECT_READ_ERROR(img, "section 'weights': payload");
  EXPECT_READ_ERROR(img, "lies outside the file");
  img = toyImage();
  setTableField(img, 1, 32, 1ull << 40);
  EXPECT_READ_ERROR(img, "lies outside the file");
}

TEST(RuntimeArtifact, MisalignedOrInsideTable) {
  auto img = toyImage();
  setTableField(img, 1, 32, tableField(img, 1, 32) + 8);
  EXPECT_READ_ERROR(img, "is not a multiple of 64");
  img = toyImage();
  setTableField(img, 0, 32, 64);
  EXPECT_READ_ERROR(img, "overlaps the header or section table");
}

TEST(RuntimeArtifact, OverlappingSections) {
  auto img = toyImage();
  setTableField(img, 1, 32, tableField(img, 0, 32)); // weights over manifest
  EXPECT_READ_ERROR(img, "overlap");
}

TEST(RuntimeArtifact, BadNames) {
  auto img = toyImage();
  std::memset(&img[24 + 64], 'w', 32); // no terminating zero
  fixTableChecksum(img);
  EXPECT_READ_ERROR(img, "section 1: name is not NUL-terminated");

  img = toyImage();
  std::memcpy(&img[24 + 64], "manifest", 9); // duplicate
  fixTableChecksum(img);
  EXPECT_READ_ERROR(img, "duplicate section 'manifest'");

  img = toyImage();
  img[24 + 64 + 20] = 'z'; // garbage after the terminating zero
  fixTableChecksum(img);
  EXPECT_READ_ERROR(img, "name padding is not zero");

  img = toyImage();
  img[24 + 64] = 0; // empty name
  fixTableChecksum(img);
  EXPECT_READ_ERROR(img, "bad name: empty name");

  img = toyImage();
  setTableField(img, 1, 56, 1);
  EXPECT_READ_ERROR(img, "reserved field is not zero");
}

TEST(RuntimeArtifact, MissingManifest) {
  auto img = toyImage();
  img[24 + 7] = 'x'; // "manifesx"
  fixTableChecksum(img);
  EXPECT_READ_ERROR(img, "required section 'manifest' is missing");
}

TEST(RuntimeArtifact, ManifestNotJson) {
  auto img = toyImage();
  img[tableField(img, 0, 32)] = '['; // "{" -> "[": no longer JSON
  fixPayloadChecksum(img, 0);
  EXPECT_READ_ERROR(img, "manifest is not well-formed JSON");
}

TEST(RuntimeArtifact, ErrorsComeBackThroughTheCApi) {
  TempDir dir;
  auto img = toyImage();
  img[0] = 'X';
  writeFile(dir.file("bad.ssmc"), img);
  std::string msg;
  EXPECT_EQ(tryLoad(dir.file("bad.ssmc"), msg), SSMC_ERROR_BAD_ARTIFACT);
  EXPECT_EQ(msg, dir.file("bad.ssmc") + ": bad magic: not an ssmc artifact");
  EXPECT_EQ(tryLoad(dir.file("none.ssmc"), msg), SSMC_ERROR_IO);
  img = toyImage();
  img[8] = 7;
  writeFile(dir.file("v7.ssmc"), img);
  EXPECT_EQ(tryLoad(dir.file("v7.ssmc"), msg), SSMC_ERROR_UNSUPPORTED);
  EXPECT_STREQ(ssmc_last_error(), msg.c_str());
}

} // namespace
