#include "needle/types.h"

#include <cmath>
#include <string_view>

#include "needle/enum_names.h"

namespace needle {

namespace {
// Unknown has no entry: it stands for any name not in the table.
constexpr EnumName<ObjectClass> kClassNames[] = {
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
  return enum_to_name(kClassNames, c, "Unknown");
}

ObjectClass parse_class(std::string_view name) {
  return enum_from_name(kClassNames, name).value_or(ObjectClass::Unknown);
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
