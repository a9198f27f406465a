// Internal to src/config: a [sweep] section → variants of the experiment file.
//
//   [sweep]
//   grid = { "loss.theta" = [5, 9, 13], "loss.sigma" = [1.5, 2.25] }   # every combination
//   zip = { "loss.phi" = [0.5, 1], "loss.beta2" = [0.3, 1] }            # advanced together
//   seeds = [0, 1, 2]                                                   # train.seeds of every point
//
// Each point (grid combination × zip row, the grid's first key outermost) becomes a variant named
// by its values, "theta=5,sigma=1.5" (a key's last component; its full path where two keys share
// one), whose overlay sets those key paths. A file that also has [variants] sweeps each of them:
// "<variant>/theta=5,...". Without grid and zip the points are the file's variants.
// [profiles.<p>.sweep] overlays [sweep] when that profile is selected: its grid (zip) replaces the
// file's grid (zip) as a whole, so a small profile can sweep fewer keys and values.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace sodlab::config::detail {

struct SweepExpansion {
  bool present = false;           // the file has a [sweep] section
  std::vector<std::string> keys;  // swept key paths, grid keys then zip keys, in file order
  std::vector<std::string> names; // the variants after expansion, in point order (toml::table
                                  // iterates by name: this is the order)
};

// Rewrites `doc`: [sweep] (with profiles.<profile>.sweep merged over it) becomes doc's [variants];
// [sweep] and every profile's `sweep` overlay are removed. InputError at the offending position:
// a key outside data/model/loss/train/eval, an empty or non-array value list, a repeated value,
// zip lists of unequal lengths, a key both in grid and zip, a point name equal to a variant's.
SweepExpansion expand_sweep(toml::table& doc, const std::string& file, const std::string& profile);

// The shortest text that reads back as x (0.3, not 0.29999999999999999; 1.0 for 1).
std::string shortest_text(double x);

// Key paths of every leaf of a variant overlay (arrays count as leaves), in file order.
std::vector<std::string> leaf_paths(const toml::table& overlay);

}  // namespace sodlab::config::detail
