// `qsa` on .tflite models: run writes MobileNetV2's logits equal to TFLite's reference logits;
// compile + compare runs person detection golden == ISA; inspect and a refused model. Skips when
// QSA_SHARED_DATA_DIR/tflite is absent.
#include <filesystem>
#include <string>

#include "model/golden/npy.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

class TfliteCliTest : public CliFixture {
 protected:
  static std::string Shared(const std::string& name) {
    return std::string(QSA_SHARED_DATA_DIR) + "/tflite/" + name;
  }
  void SetUp() override {
    CliFixture::SetUp();
    if (!std::filesystem::exists(Shared("person_detect.tflite"))) {
      GTEST_SKIP() << "no shared TFLite models in " << Shared("");
    }
  }
};

TEST_F(TfliteCliTest, RunWritesTheReferenceLogits) {
  const CliResult r = Qsa({"run", Shared("mobilenet_v2_quantized_1x3x224x224.tflite"), "--input",
                           Shared("mobilenet_v2_dog_input.npy"), "--out", Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Xq.1  int8[1,1000]"), std::string::npos) << r.out;
  const golden::Tensor got = golden::ReadNpy(Path("out/Xq.1.npy"));
  const golden::Tensor want = golden::ReadNpy(Shared("mobilenet_v2_dog_ref_logits.npy"));
  EXPECT_TRUE(got == want);
}

TEST_F(TfliteCliTest, CompileAndCompareGoldenWithIsa) {
  const CliResult c = Qsa({"compile", Shared("person_detect.tflite"), "-o", Path("prog")});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("TfliteSoftmax"), std::string::npos) << c.out;  // a host step
  EXPECT_TRUE(std::filesystem::exists(Path("prog/model.tflite")));
  const CliResult r = Qsa({"compare", Path("prog"), "--input", Shared("no_person_input.npy"),
                           "--engines", "golden,isa"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all tensors bit-exact"), std::string::npos) << r.out;
}

TEST_F(TfliteCliTest, InspectAndARefusal) {
  const CliResult i = Qsa({"inspect", Shared("person_detect.tflite")});
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_NE(i.out.find("int8[1,96,96,1]  scale 0.00784314, zero point -1"), std::string::npos)
      << i.out;
  const std::string svdf = std::string(QSA_SOURCE_DIR) + "/tests/data/tflite/svdf.tflite";
  ExpectError(Qsa({"inspect", svdf}), 1, {svdf, "SVDF 'y' (operator 0", "not supported"});
}

}  // namespace
}  // namespace qsa::tools
