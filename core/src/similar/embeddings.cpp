// similar/embeddings.cpp — load_embeddings and check_ref (needle/similar.h): the user's own
// vectors from CSV or NumPy .npy + key file, checked ref by ref against the dataset.
//
// Index
//   [SECTION] Refs against the dataset
//   [SECTION] CSV
//   [SECTION] NPY
//   [SECTION] Spaces
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "needle/error.h"
#include "needle/similar.h"

namespace needle {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& file, int line, const std::string& field,
                       const std::string& msg) {
  Problem p;
  p.modality = "embeddings";
  p.file = file.string();
  p.line = line;
  p.field = field;
  p.message = msg;
  throw ParseError(p);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

// ============================================================================================
// [SECTION] Refs against the dataset
// ============================================================================================
std::string check_ref(const ObjectRef& ref, const DatasetIndex& ds,
                      const std::vector<FrameAnnotations>& annotations) {
  const auto f = ds.find(ref.frame);
  if (!f) return "frame " + ref.frame + " is not in the dataset";
  if (ref.is_frame()) return "";
  if (*f >= annotations.size()) return "frame " + ref.frame + " was not loaded";
  const FrameAnnotations& a = annotations[*f];
  if (ref.is_label()) {
    if (!a.has_labels) return "frame " + ref.frame + " has no label file";
    if (ref.index < 0 || std::size_t(ref.index) >= a.labels.size())
      return "label index " + std::to_string(ref.index) + " is past the end of " + ref.frame +
             "'s label file (" + std::to_string(a.labels.size()) + " objects)";
    return "";
  }
  for (std::size_t s = 0; s < ds.pred_sets.size(); ++s) {
    if (ds.pred_sets[s].name != ref.source) continue;
    const std::size_t n = s < a.preds.size() ? a.preds[s].objects.size() : 0;
    if (s >= a.preds.size() || a.preds[s].status == PredStatus::Missing)
      return "prediction set " + ref.source + " has no file for frame " + ref.frame;
    if (ref.index < 0 || std::size_t(ref.index) >= n)
      return "prediction index " + std::to_string(ref.index) + " is past the end of " + ref.frame +
             "'s " + ref.source + " file (" + std::to_string(n) + " objects)";
    return "";
  }
  std::string names;
  for (const PredictionSetSpec& s : ds.pred_sets) names += (names.empty() ? "" : ", ") + s.name;
  return "prediction set '" + ref.source +
         "' is not in the dataset (sets: " + (names.empty() ? "none" : names) + ")";
}

namespace {

struct Row {
  ObjectRef ref;
  std::vector<float> v;
  int line = 0;  // line of the ref (CSV line or key-file line)
};

// Parses and checks one ref; failures name file and line.
ObjectRef checked_ref(const std::string& text, const fs::path& file, int line,
                      const DatasetIndex& ds, const std::vector<FrameAnnotations>& ann) {
  ObjectRef ref;
  try {
    ref = parse_object_ref(text);
  } catch (const std::exception& e) {
    fail(file, line, "ref", e.what());
  }
  if (const std::string why = check_ref(ref, ds, ann); !why.empty())
    fail(file, line, "ref", "'" + text + "' does not match the dataset: " + why);
  return ref;
}

// ============================================================================================
// [SECTION] CSV
// ============================================================================================
std::vector<Row> read_csv(const fs::path& file, const DatasetIndex& ds,
                          const std::vector<FrameAnnotations>& ann) {
  std::ifstream in(file);
  if (!in) fail(file, 0, "", "cannot open the file");
  std::vector<Row> rows;
  std::string line;
  int no = 0;
  std::size_t dim = 0;
  int dim_line = 0;
  while (std::getline(in, line)) {
    ++no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(t);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(trim(cell));
    if (!t.empty() && t.back() == ',') cells.push_back("");
    if (rows.empty() && dim == 0 && !cells.empty() && cells[0] == "ref") continue;  // header
    if (cells.size() < 2)
      fail(file, no, "", "expected ref,v0,v1,... (a ref and at least one value)");
    Row r;
    r.line = no;
    r.ref = checked_ref(cells[0], file, no, ds, ann);
    for (std::size_t i = 1; i < cells.size(); ++i) {
      std::string field = std::to_string(i - 1);
      field.insert(field.begin(), 'v');
      if (cells[i].empty()) fail(file, no, field, "empty value");
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(cells[i], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != cells[i].size()) fail(file, no, field, "'" + cells[i] + "' is not a number");
      if (!std::isfinite(v)) fail(file, no, field, "value is not finite");
      r.v.push_back(static_cast<float>(v));
    }
    if (dim == 0) {
      dim = r.v.size();
      dim_line = no;
    } else if (r.v.size() != dim) {
      fail(file, no, "",
           std::to_string(r.v.size()) + " values, but line " + std::to_string(dim_line) + " has " +
               std::to_string(dim));
    }
    rows.push_back(std::move(r));
  }
  if (rows.empty()) fail(file, 0, "", "no embedding rows");
  return rows;
}

// ============================================================================================
// [SECTION] NPY
// ============================================================================================
// NumPy format 1.0/2.0/3.0: magic "\x93NUMPY", version, header length (2 or 4 bytes LE), a Python
// dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }, then the data.
std::string dict_value(const std::string& header, const std::string& key) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  auto c = header.find(':', k);
  if (c == std::string::npos) return "";
  ++c;
  while (c < header.size() && header[c] == ' ') ++c;
  if (c < header.size() && header[c] == '(') {
    const auto e = header.find(')', c);
    return e == std::string::npos ? "" : header.substr(c, e - c + 1);
  }
  const auto e = header.find_first_of(",}", c);
  return trim(header.substr(c, e == std::string::npos ? std::string::npos : e - c));
}

std::vector<std::vector<float>> read_npy(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, 0, "", "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string b = ss.str();
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0)
    fail(file, 0, "magic", "not a NumPy .npy file");
  const int major = static_cast<unsigned char>(b[6]);
  std::size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = std::size_t(static_cast<unsigned char>(b[8])) |
           (std::size_t(static_cast<unsigned char>(b[9])) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail(file, 0, "header", "truncated header");
    for (int i = 3; i >= 0; --i)
      hlen = (hlen << 8) | static_cast<unsigned char>(b[8 + static_cast<std::size_t>(i)]);
    hstart = 12;
  } else {
    fail(file, 0, "version", "unknown .npy version " + std::to_string(major));
  }
  if (hstart + hlen > b.size()) fail(file, 0, "header", "truncated header");
  const std::string header = b.substr(hstart, hlen);
  const std::string descr = dict_value(header, "descr");
  const std::string fortran = dict_value(header, "fortran_order");
  const std::string shape = dict_value(header, "shape");
  std::size_t item = 0;
  if (descr == "'<f4'" || descr == "'float32'")
    item = 4;
  else if (descr == "'<f8'" || descr == "'float64'")
    item = 8;
  else
    fail(file, 0, "descr",
         "dtype " + descr + " (expected little-endian float32 '<f4' or float64 '<f8')");
  if (fortran != "False")
    fail(file, 0, "fortran_order", "Fortran order is not supported (use C order)");
  std::size_t rows = 0, cols = 0;
  if (std::sscanf(shape.c_str(), "(%zu, %zu)", &rows, &cols) != 2 || rows == 0 || cols == 0)
    fail(file, 0, "shape", "shape " + shape + " (expected a 2-D array (N, D) with N, D > 0)");
  const std::size_t data = hstart + hlen;
  if (cols > (b.size() / item) || rows > (b.size() - data) / (cols * item))
    fail(file, 0, "data",
         "the file holds fewer than " + std::to_string(rows) + " x " + std::to_string(cols) +
             " values (truncated)");
  std::vector<std::vector<float>> out(rows, std::vector<float>(cols));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const char* p = b.data() + data + (r * cols + c) * item;
      double v = 0;
      if (item == 4) {
        float f;
        std::memcpy(&f, p, 4);
        v = f;
      } else {
        std::memcpy(&v, p, 8);
      }
      if (!std::isfinite(v))
        fail(file, 0, "data",
             "row " + std::to_string(r) + " column " + std::to_string(c) + " is not finite");
      out[r][c] = static_cast<float>(v);
    }
  return out;
}

std::vector<Row> read_npy_with_keys(const fs::path& file, const fs::path& keys,
                                    const DatasetIndex& ds,
                                    const std::vector<FrameAnnotations>& ann) {
  const auto matrix = read_npy(file);
  std::ifstream in(keys);
  if (!in) fail(keys, 0, "", "cannot open the key file");
  std::vector<Row> rows;
  std::string line;
  int no = 0;
  while (std::getline(in, line)) {
    ++no;
    const std::string t = trim(line);
    if (t.empty()) continue;
    if (rows.size() == matrix.size())
      fail(keys, no, "", "more keys than the array's " + std::to_string(matrix.size()) + " rows");
    Row r;
    r.line = no;
    r.ref = checked_ref(t, keys, no, ds, ann);
    r.v = matrix[rows.size()];
    rows.push_back(std::move(r));
  }
  if (rows.size() != matrix.size())
    fail(keys, 0, "",
         std::to_string(rows.size()) + " keys, but the array has " + std::to_string(matrix.size()) +
             " rows");
  return rows;
}

bool is_npy(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char m[6] = {};
  in.read(m, 6);
  return in.gcount() == 6 && std::memcmp(m, "\x93NUMPY", 6) == 0;
}

}  // namespace

// ============================================================================================
// [SECTION] Spaces
// ============================================================================================
SimilarSpaces load_embeddings(const fs::path& file, const std::optional<fs::path>& keys,
                              const DatasetIndex& ds,
                              const std::vector<FrameAnnotations>& annotations) {
  std::vector<Row> rows;
  bool npy = false;
  if (is_npy(file) || file.extension() == ".npy") {
    if (!keys) fail(file, 0, "", "a .npy file needs a key file (--keys FILE, one ref per line)");
    rows = read_npy_with_keys(file, *keys, ds, annotations);
    npy = true;
  } else {
    rows = read_csv(file, ds, annotations);
  }
  SimilarSpaces out;
  out.source = file.string();
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Row& r = rows[i];
    const std::string key = r.ref.to_string();
    if (!seen.emplace(key, i).second)
      fail(npy ? *keys : file, r.line, "ref",
           "'" + key + "' appears twice (first on line " + std::to_string(rows[seen[key]].line) +
               ")");
    // Unit length: similarity is the cosine, as for the built-in vectors.
    double n2 = 0;
    for (float v : r.v) n2 += double(v) * v;
    if (n2 > 0)
      for (float& v : r.v) v = static_cast<float>(v / std::sqrt(n2));
    SimilarSpace& sp = r.ref.is_frame() ? out.frames : out.objects;
    std::string cls;
    if (!r.ref.is_frame()) {
      const FrameAnnotations& a = annotations[*ds.find(r.ref.frame)];
      if (r.ref.is_label()) {
        cls = a.labels[std::size_t(r.ref.index)].type;
      } else {
        for (std::size_t s = 0; s < ds.pred_sets.size(); ++s)
          if (ds.pred_sets[s].name == r.ref.source)
            cls = a.preds[s].objects[std::size_t(r.ref.index)].type;
      }
    }
    sp.items.push_back({r.ref, cls});
    sp.dim = r.v.size();
    sp.vectors.insert(sp.vectors.end(), r.v.begin(), r.v.end());
  }
  return out;
}

}  // namespace needle
