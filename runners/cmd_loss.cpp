// `sodlab loss`: one loss on one saliency map and mask, with its intermediate maps.
//
// The prediction PNG is read as probabilities p = value / max value of its bit depth (8 or 16 bit,
// converted to grey); the loss sees the logit log(p/(1−p)) with p clamped to [1e-7, 1 − 1e-7].
// The mask is binarised at half range (> 127 for 8 bit). Both must have the same size.
// --maps DIR writes each intermediate map as DIR/<name>.png, linearly scaled so that 0 → 0 and the
// map's maximum → 255 (the maximum is printed, and recorded in --json under "maps").
// --figure FILE.png|svg|pdf draws them in one figure in the style of Kolkin Fig. 3 (the image
// given by --image, the GT, the prediction and every intermediate map side by side on one colour
// scale with a colour bar; report/map_figure.h), the gnuplot script and data kept beside it.
#include <cstdio>

#include "command.h"

#include "core/error.h"
#include "core/names.h"
#include "core/options.h"
#include "core/output_files.h"
#include "losses/registry.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "report/map_figure.h"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

namespace sodlab::cli {
namespace {

// H×W double in [0,1].
torch::Tensor read_unit(const std::string& path) {
  cv::Mat m = cv::imread(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_GRAYSCALE);
  if (m.empty()) throw InputError("cannot read image '" + path + "' (missing or not an image)");
  double scale = m.depth() == CV_16U ? 65535.0 : 255.0;
  if (m.depth() != CV_8U && m.depth() != CV_16U)
    throw InputError("image '" + path + "': expected 8- or 16-bit pixels");
  cv::Mat d;
  m.convertTo(d, CV_64F, 1.0 / scale);
  return torch::from_blob(d.data, {d.rows, d.cols}, torch::kDouble).clone();
}

nlohmann::json option_json(const OptionValue& v) {
  if (auto b = std::get_if<bool>(&v)) return *b;
  if (auto i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) return *d;
    return option_value_to_string(v);  // inf / nan as text
  }
  return std::get<std::string>(v);
}

CommandRegistration reg{
    "loss", "Compute a loss (and its intermediate maps) on a saliency map and a mask",
    [](CLI::App& app) {
      auto name = std::make_shared<std::string>();
      auto sets = std::make_shared<std::vector<std::string>>();
      auto pred = std::make_shared<std::string>(), gt = std::make_shared<std::string>();
      auto maps = std::make_shared<std::string>();
      auto json = std::make_shared<bool>(false);
      auto figure = std::make_shared<std::string>(), image = std::make_shared<std::string>();
      auto list = std::make_shared<bool>(false);
      app.add_flag("--list", *list, "List the registered losses and exit");
      app.add_option("--name", *name, "Loss name: " + join_names(losses::loss_registry().names()));
      app.add_option("--set", *sets, "Loss option as key=value (repeatable)");
      app.add_option("--pred", *pred, "Prediction image (PNG), read as probabilities in [0,1]")
          ;
      app.add_option("--gt", *gt, "Ground-truth mask image (binarised at half range)");
      app.add_flag("--json", *json, "Print {\"name\", \"options\", \"loss\"} as JSON");
      app.add_option("--maps", *maps,
                     "Write the intermediate maps as PNGs into this folder (0 → 0, max → 255)");
      app.add_option("--figure", *figure,
                     "Draw image, GT, prediction and the intermediate maps in one figure on one colour "
                     "scale (FILE.png, .svg or .pdf; gnuplot)");
      app.add_option("--image", *image, "The photograph shown first in --figure (its size must match)");
      return [=]() {
        if (*list) {
          for (const auto& e : losses::loss_registry().entries())
            std::printf("%-14s %s\n", e.name.c_str(), e.summary.c_str());
          return 0;
        }
        if (name->empty() || pred->empty() || gt->empty())
          throw InputError("sodlab loss needs --name, --pred and --gt (or --list)");
        output::protect_file(*pred, "an input of this command (--pred)");
        output::protect_file(*gt, "an input of this command (--gt)");
        output::protect_file(*image, "an input of this command (--image)");
        if (!maps->empty()) output::check_output_folder(*maps, "--maps");
        if (!figure->empty()) output::check_output_file(*figure, "--figure");
        Options opts("loss '" + *name + "'");
        for (const auto& s : *sets) opts.set_from_assignment(s);
        auto loss = losses::make_loss(*name, opts);
        if (loss->needs_features())
          throw InputError("loss '" + *name +
                           "' needs the model's metric features, which a saliency map does not "
                           "carry; use it through `sodlab run`");
        auto p = read_unit(*pred), g = read_unit(*gt);
        if (p.sizes() != g.sizes())
          throw InputError("size mismatch: '" + *pred + "' is " + std::to_string(p.size(1)) + "×" +
                           std::to_string(p.size(0)) + ", '" + *gt + "' is " +
                           std::to_string(g.size(1)) + "×" + std::to_string(g.size(0)));
        const auto shape = std::vector<int64_t>{1, 1, p.size(0), p.size(1)};
        auto pc = p.clamp(1e-7, 1 - 1e-7);
        auto logits = torch::log(pc / (1 - pc)).view(shape);
        auto targets = loss->prepare((g > 0.5).to(torch::kDouble).view(shape));
        const double value = loss->forward(logits, targets).item<double>();

        nlohmann::json out;
        out["name"] = *name;
        out["options"] = nlohmann::json::object();
        for (const auto& [k, v] : opts.resolved()) out["options"][k] = option_json(v);
        out["loss"] = value;
        if (!maps->empty()) {
          std::filesystem::create_directories(*maps);
          out["maps"] = nlohmann::json::object();
          for (const auto& [mname, m] : loss->explain(logits, targets)) {
            auto img = m[0][0].to(torch::kDouble).contiguous();
            const double mx = img.max().item<double>();
            auto scaled = mx > 0 ? (img * (255.0 / mx)).round() : torch::zeros_like(img);
            scaled = scaled.clamp(0, 255).to(torch::kUInt8).contiguous();
            cv::Mat u8(static_cast<int>(img.size(0)), static_cast<int>(img.size(1)), CV_8UC1,
                        scaled.data_ptr<std::uint8_t>());
            const auto file = (std::filesystem::path(*maps) / (mname + ".png")).string();
            std::vector<uchar> png;
            if (!cv::imencode(".png", u8, png)) throw RuntimeFailure("cannot encode '" + file + "' as PNG");
            output::write_output_file(file, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
            out["maps"][mname] = {{"file", file}, {"max", mx}};
            if (!*json) std::cerr << "wrote " << file << " (255 = " << mx << ")\n";
          }
        }
        if (!figure->empty()) {
          const std::filesystem::path f(*figure);
          std::string format = f.extension().string();
          if (!format.empty()) format.erase(0, 1);
          report::MapFigure fig;
          fig.title = *name + " = " + std::to_string(value) + " on " + std::filesystem::path(*pred).filename().string();
          fig.scale_label = "value (one scale for every map)";
          auto panel = [](const std::string& title, const torch::Tensor& hw) {
            auto t = hw.to(torch::kDouble).contiguous();
            report::MapPanel p;
            p.title = title;
            p.rows = static_cast<int>(t.size(0));
            p.cols = static_cast<int>(t.size(1));
            p.values.assign(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
            return p;
          };
          if (!image->empty()) {
            cv::Mat bgr = cv::imread(*image, cv::IMREAD_COLOR);
            if (bgr.empty()) throw InputError("cannot read image '" + *image + "' (missing or not an image)");
            if (bgr.rows != p.size(0) || bgr.cols != p.size(1))
              throw InputError("size mismatch: --image '" + *image + "' is " + std::to_string(bgr.cols) + "×" +
                               std::to_string(bgr.rows) + ", the maps are " + std::to_string(p.size(1)) + "×" +
                               std::to_string(p.size(0)));
            report::MapPanel photo;
            photo.title = "image";
            photo.rgb = true;
            photo.rows = bgr.rows;
            photo.cols = bgr.cols;
            for (int r = 0; r < bgr.rows; ++r)
              for (int c = 0; c < bgr.cols; ++c) {
                const cv::Vec3b px = bgr.at<cv::Vec3b>(r, c);
                photo.values.insert(photo.values.end(), {double(px[2]), double(px[1]), double(px[0])});
              }
            fig.panels.push_back(std::move(photo));
          }
          fig.panels.push_back(panel("GT", (g > 0.5).to(torch::kDouble)));
          fig.panels.push_back(panel("prediction", p));
          // Kolkin Fig. 3's order (E, E^A, B, E_w), then any other map of the loss.
          auto explained = loss->explain(logits, targets);
          for (const char* k : {"E", "E_A", "B", "E_w"})
            if (auto it = explained.find(k); it != explained.end()) {
              fig.panels.push_back(panel(k, it->second[0][0]));
              explained.erase(it);
            }
          for (const auto& [mname, m] : explained) fig.panels.push_back(panel(mname, m[0][0]));
          const auto parent = f.parent_path().empty() ? std::filesystem::path(".") : f.parent_path();
          const report::Rendered r = report::render_maps(fig, parent.string(), f.stem().string(), format);
          out["figure"] = r.image;
          if (!*json) std::cerr << "wrote " << r.image << " (script " << r.script << ")\n";
        }
        if (*json) {
          std::cout << out.dump(2) << "\n";
        } else {
          std::cout << *name << " = " << std::setprecision(10) << value << "\n";
          std::cout << "options:";
          for (const auto& [k, v] : opts.resolved()) std::cout << " " << k << "=" << option_value_to_string(v);
          std::cout << "\n";
        }
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
