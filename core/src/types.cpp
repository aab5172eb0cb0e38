#include "needle/types.h"

#include <cmath>
#include <string_view>

namespace needle {

namespace {
struct ClassName {
  ObjectClass cls;
  const char* name;
};
constexpr ClassName kClassNames[] = {
    {ObjectClass::Car, "Car"},
    {ObjectClass::Van, "Van"},
    {ObjectClass::Truck, "Truck"},
    {ObjectClass::Pedestrian, "Pedestrian"},
    {ObjectClass::PersonSitting, "Person_sitting"},
    {ObjectClass::Cyclist, "Cyclist"},
    {ObjectClass::Tram, "Tram"},
    {ObjectClass::Misc, "Misc"},
    {ObjectClass::DontCare, "DontCare"},
};
}  // namespace

const char* class_name(ObjectClass c) {
  for (const auto& e : kClassNames)
    if (e.cls == c) return e.name;
  return "Unknown";
}

ObjectClass parse_class(std::string_view name) {
  for (const auto& e : kClassNames)
    if (name == e.name) return e.cls;
  return ObjectClass::Unknown;
}

double Object::distance() const {
  return std::hypot(loc_cam.x, loc_cam.z);
}

std::string Problem::to_string() const {
  // Built with append() only: GCC 12 reports a false -Wrestrict on operator+ chains here.
  std::string s;
  s.reserve(file.size() + field.size() + message.size() + 32);
  s.append(file.empty() ? modality : file);
  if (line > 0) {
    s.append(":");
    s.append(std::to_string(line));
  }
  s.append(": ");
  if (!field.empty()) {
    s.append("field '");
    s.append(field);
    s.append("': ");
  }
  s.append(message);
  return s;
}

}  // namespace needle
