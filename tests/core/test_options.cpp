#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/options.h"

using namespace sodlab;

TEST_CASE("option values parse to the narrowest type", "[core][options]") {
  CHECK(std::get<bool>(parse_option_value("true")) == true);
  CHECK(std::get<std::int64_t>(parse_option_value("-9")) == -9);
  CHECK(std::get<double>(parse_option_value("0.25")) == 0.25);
  CHECK(std::get<double>(parse_option_value("1e-7")) == 1e-7);
  CHECK(std::get<std::string>(parse_option_value("gaussian")) == "gaussian");
  CHECK(std::get<std::string>(parse_option_value("\"12\"")) == "12");
}

TEST_CASE("options resolve defaults and record them", "[core][options]") {
  Options o("loss 'x'");
  o.set_from_assignment("theta=9");
  o.set_from_assignment("use_A=false");
  CHECK(o.get_int("theta", 3) == 9);
  CHECK(o.get_double("theta", 1.0) == 9.0);  // integers are accepted as numbers
  CHECK(o.get_bool("use_A", true) == false);
  CHECK(o.get_double("beta2", 1.0) == 1.0);
  CHECK(o.resolved().size() == 3);
  CHECK(std::get<double>(o.resolved().at("beta2")) == 1.0);
  CHECK_NOTHROW(o.reject_unknown());
}

TEST_CASE("options reject unknown keys with the closest known key", "[core][options]") {
  Options o("loss 'af_fbeta_w'");
  o.set("thetta", std::int64_t{9});
  o.get_int("theta", 9);
  try {
    o.reject_unknown();
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("unknown option 'thetta'") != std::string::npos);
    CHECK(std::string(e.what()).find("did you mean 'theta'") != std::string::npos);
    CHECK(e.code() == ExitCode::bad_input);
  }
}

TEST_CASE("options reject wrong types, bad choices and out-of-range values", "[core][options]") {
  Options o("model 'szn'");
  o.set("n", std::string("many"));
  o.set("kernel", std::string("gausian"));
  o.set("sigma", -1.0);
  CHECK_THROWS_AS(o.get_int("n", 64), InputError);
  CHECK_THROWS_WITH(o.get_string("kernel", "gaussian", {"gaussian", "paper_eq9"}),
                    Catch::Contains("did you mean 'gaussian'"));
  CHECK_THROWS_WITH(o.get_double("sigma", 1.0, 0.0), Catch::Contains("out of range"));
  CHECK_THROWS_AS(o.set_from_assignment("novalue"), InputError);
}
