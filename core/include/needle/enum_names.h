// needle/enum_names.h — one table per enum that has a spelling (a CLI option, a store column, a
// KITTI class name): each value with its one name. Both directions (value -> name, name -> value)
// and the "expected a, b or c" list of an error message are derived from the table, so they
// cannot drift apart. Tables list their values in the order the error messages name them.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace needle {

template <typename E>
struct EnumName {
  E value;
  const char* name;
};

// The name of v, or `fallback` for a value the table lacks (e.g. a cast out of range).
template <typename E, std::size_t N>
constexpr const char* enum_to_name(const EnumName<E> (&table)[N], E v, const char* fallback) {
  for (const EnumName<E>& e : table)
    if (e.value == v) return e.name;
  return fallback;
}

// The value spelt `name` (exact, case-sensitive), or nothing.
template <typename E, std::size_t N>
constexpr std::optional<E> enum_from_name(const EnumName<E> (&table)[N], std::string_view name) {
  for (const EnumName<E>& e : table)
    if (name == e.name) return e.value;
  return std::nullopt;
}

// "a, b or c": the names in table order.
template <typename E, std::size_t N>
std::string enum_names_list(const EnumName<E> (&table)[N]) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) s += i + 1 == N ? " or " : ", ";
    s += table[i].name;
  }
  return s;
}

// The value spelt `name`; otherwise throws std::invalid_argument("unknown WHAT 'NAME' (expected
// a, b or c)").
template <typename E, std::size_t N>
E parse_enum(const EnumName<E> (&table)[N], const std::string& name, const char* what) {
  if (const std::optional<E> v = enum_from_name(table, name)) return *v;
  throw std::invalid_argument("unknown " + std::string(what) + " '" + name + "' (expected " +
                              enum_names_list(table) + ")");
}

}  // namespace needle
