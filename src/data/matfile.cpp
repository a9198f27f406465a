#include "data/matfile.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

enum : std::uint32_t {
  miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6,
  miMATRIX = 14, miCOMPRESSED = 15, miUTF8 = 16
};
enum : std::uint8_t { mxCELL = 1, mxCHAR = 4 };

struct Bad {
  std::string why;
};

std::uint32_t u32(const std::string& b, std::size_t at) {
  if (at + 4 > b.size()) throw Bad{"truncated element"};
  std::uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

struct Element {
  std::uint32_t type = 0;
  std::string data;
  std::size_t next = 0;  // offset after the element (padding included)
};

// The data element at `at` (small-format tags included); `pad` to 8 bytes except compressed ones.
Element element(const std::string& b, std::size_t at) {
  Element e;
  const std::uint32_t first = u32(b, at);
  if (first >> 16) {  // small data element: 2-byte size, 2-byte type, 4 bytes of data
    e.type = first & 0xffff;
    const std::size_t n = first >> 16;
    if (n > 4 || at + 8 > b.size()) throw Bad{"bad small element"};
    e.data = b.substr(at + 4, n);
    e.next = at + 8;
    return e;
  }
  e.type = first;
  const std::size_t n = u32(b, at + 4);
  if (at + 8 + n > b.size()) throw Bad{"truncated element"};
  e.data = b.substr(at + 8, n);
  e.next = at + 8 + n;
  if (e.type != miCOMPRESSED) e.next = at + 8 + ((n + 7) / 8) * 8;
  return e;
}

std::string inflate_all(const std::string& in) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw Bad{"zlib initialisation failed"};
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[1 << 15];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw Bad{"corrupt compressed element (zlib: " + std::string(z.msg ? z.msg : "error") + ")"};
    }
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw Bad{"truncated compressed element"};
    }
  }
  inflateEnd(&z);
  return out;
}

// Characters of a char array's data element (UTF-16 code units, UTF-8 or bytes).
std::u16string chars(const Element& e) {
  std::u16string s;
  if (e.type == miUINT16 || e.type == miINT16) {
    for (std::size_t i = 0; i + 2 <= e.data.size(); i += 2) {
      std::uint16_t c;
      std::memcpy(&c, e.data.data() + i, 2);
      s.push_back(static_cast<char16_t>(c));
    }
  } else if (e.type == miUINT8 || e.type == miINT8 || e.type == miUTF8) {
    for (unsigned char c : e.data) s.push_back(c);
  } else {
    throw Bad{"char array stored as type " + std::to_string(e.type)};
  }
  return s;
}

std::string narrow(const std::u16string& s) {
  std::string out;
  for (char16_t c : s) {
    if (c < 0x80) out.push_back(static_cast<char>(c));
    else if (c < 0x800) out += static_cast<char>(0xc0 | (c >> 6)), out += static_cast<char>(0x80 | (c & 0x3f));
    else out += static_cast<char>(0xe0 | (c >> 12)), out += static_cast<char>(0x80 | ((c >> 6) & 0x3f)),
                out += static_cast<char>(0x80 | (c & 0x3f));
  }
  const auto e = out.find_last_not_of(" \t\r\n");
  return e == std::string::npos ? "" : out.substr(0, e + 1);
}

struct Matrix {
  std::uint8_t cls = 0;
  std::vector<std::int32_t> dims;
  std::size_t body = 0;  // offset of the first element after the name
};

Matrix header(const std::string& m) {
  Matrix out;
  const Element flags = element(m, 0);
  if (flags.type != miUINT32 || flags.data.size() < 4) throw Bad{"bad array flags"};
  out.cls = static_cast<std::uint8_t>(u32(flags.data, 0) & 0xff);
  const Element dims = element(m, flags.next);
  if (dims.type != miINT32) throw Bad{"bad dimensions"};
  for (std::size_t i = 0; i + 4 <= dims.data.size(); i += 4) out.dims.push_back(static_cast<std::int32_t>(u32(dims.data, i)));
  out.body = element(m, dims.next).next;  // skip the name
  return out;
}

std::size_t count(const Matrix& m) {
  std::size_t n = 1;
  for (auto d : m.dims) n *= static_cast<std::size_t>(d < 0 ? 0 : d);
  return n;
}

// One string per row of a char matrix (a 1×L row vector is one string).
std::vector<std::string> char_rows(const std::string& m, const Matrix& h) {
  const std::u16string all = h.dims.empty() || count(h) == 0 ? std::u16string() : chars(element(m, h.body));
  const std::size_t rows = h.dims.empty() ? 0 : static_cast<std::size_t>(h.dims[0]);
  if (rows == 0) return {};
  const std::size_t cols = all.size() / rows;
  std::vector<std::string> out;
  for (std::size_t r = 0; r < rows; ++r) {
    std::u16string s;
    for (std::size_t c = 0; c < cols; ++c) s.push_back(all[c * rows + r]);
    out.push_back(narrow(s));
  }
  return out;
}

// The strings of a matrix element, or nullopt-like empty with ok=false for other classes.
bool strings_of(const std::string& m, std::vector<std::string>& out) {
  const Matrix h = header(m);
  if (h.cls == mxCHAR) {
    out = char_rows(m, h);
    return true;
  }
  if (h.cls != mxCELL) return false;
  std::size_t at = h.body;
  for (std::size_t i = 0, n = count(h); i < n; ++i) {
    const Element cell = element(m, at);
    at = cell.next;
    if (cell.type != miMATRIX) throw Bad{"cell " + std::to_string(i + 1) + " is not an array"};
    if (cell.data.empty()) {
      out.emplace_back();
      continue;
    }
    const Matrix ch = header(cell.data);
    if (ch.cls != mxCHAR) throw Bad{"cell " + std::to_string(i + 1) + " is not a string"};
    std::u16string s = count(ch) == 0 ? std::u16string() : chars(element(cell.data, ch.body));
    out.push_back(narrow(s));
  }
  return true;
}

void put32(std::string& b, std::uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
void pad8(std::string& b) { b.append((8 - b.size() % 8) % 8, '\0'); }
std::string tagged(std::uint32_t type, const std::string& data) {
  std::string b;
  put32(b, type);
  put32(b, static_cast<std::uint32_t>(data.size()));
  b += data;
  pad8(b);
  return b;
}
std::string matrix(std::uint8_t cls, std::int32_t rows, std::int32_t cols, const std::string& name,
                   const std::string& body) {
  std::string flags, dims, m;
  put32(flags, cls);
  put32(flags, 0);
  put32(dims, static_cast<std::uint32_t>(rows));
  put32(dims, static_cast<std::uint32_t>(cols));
  m = tagged(miUINT32, flags) + tagged(miINT32, dims) + tagged(miINT8, name) + body;
  return tagged(miMATRIX, m);
}

}  // namespace

std::vector<std::string> read_mat_strings(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read MAT-file " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string b = ss.str();
  const std::string convert =
      " (convert it to a text list, one name per line: python3 -c \"import scipy.io as s; "
      "[print(str(x).strip(\\\"[]'\\\")) for x in s.loadmat('" + path.string() +
      "', squeeze_me=True).popitem()[1]]\" > " + path.stem().string() + ".txt)";
  if (b.size() < 128) throw InputError("MAT-file " + path.string() + " is too short for a MAT-file header" + convert);
  if (b.compare(0, 6, "MATLAB") != 0 || b.find("7.3 MAT-file") < 116)
    throw InputError("MAT-file " + path.string() + (b.find("7.3 MAT-file") < 116 ? " is a v7.3 (HDF5) MAT-file, not read" : " has no MATLAB 5.0 header") + convert);
  if (b[126] != 'I' || b[127] != 'M') throw InputError("MAT-file " + path.string() + " is big-endian, not read" + convert);
  try {
    for (std::size_t at = 128; at + 8 <= b.size();) {
      Element e = element(b, at);
      at = e.next;
      if (e.type == miCOMPRESSED) e = element(inflate_all(e.data), 0);
      if (e.type != miMATRIX) continue;
      std::vector<std::string> out;
      if (strings_of(e.data, out)) return out;
    }
  } catch (const Bad& bad) {
    throw InputError("MAT-file " + path.string() + ": " + bad.why + convert);
  }
  throw InputError("MAT-file " + path.string() + " holds no cell array of strings or char matrix" + convert);
}

std::string mat_strings_file(const std::string& name, const std::vector<std::string>& strings, bool compress) {
  std::string header = "MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: sodlab";
  header.resize(116, ' ');
  header.append(8, '\0');  // no subsystem data
  header += std::string("\x00\x01", 2);
  header += "IM";
  std::string cells;
  for (const auto& s : strings) {
    std::string utf16;
    for (unsigned char c : s) utf16 += static_cast<char>(c), utf16 += '\0';
    cells += matrix(mxCHAR, 1, static_cast<std::int32_t>(s.size()), "", tagged(miUINT16, utf16));
  }
  const std::string var = matrix(mxCELL, static_cast<std::int32_t>(strings.size()), 1, name, cells);
  if (!compress) return header + var;
  uLongf n = compressBound(static_cast<uLong>(var.size()));
  std::string z(n, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(var.data()),
                static_cast<uLong>(var.size()), Z_DEFAULT_COMPRESSION) != Z_OK)
    throw RuntimeFailure("zlib failed to compress a MAT-file element");
  z.resize(n);
  std::string out = header;
  put32(out, miCOMPRESSED);
  put32(out, static_cast<std::uint32_t>(z.size()));
  return out + z;
}

}  // namespace sodlab::data
