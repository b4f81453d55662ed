// Python printf-style formatting: `'%s=%d' % (k, v)` and the `format` filter.
#include <cctype>
#include <cstdio>
#include <string>

#include "chat/interp.h"

namespace minerva::chat {

Result<std::string> percent_format(const std::string& fmt, const Value& args) {
  std::vector<Value> values;
  const Value* mapping = nullptr;
  if (args.is_list() && args.list->tuple) {
    values = args.list->items;
  } else if (args.is_mapping()) {
    mapping = &args;
  } else {
    values.push_back(args);
  }
  size_t next = 0;
  std::string out;
  for (size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] != '%') {
      out += fmt[k];
      continue;
    }
    if (++k >= fmt.size()) return make_error("ValueError: incomplete format");
    const Value* v = nullptr;
    if (fmt[k] == '(') {
      size_t close = fmt.find(')', k);
      if (close == std::string::npos || mapping == nullptr) return make_error("TypeError: format requires a mapping");
      v = mapping->dict->find(std::string_view(fmt).substr(k + 1, close - k - 1));
      if (v == nullptr) return make_error("KeyError: '" + fmt.substr(k + 1, close - k - 1) + "'");
      k = close + 1;
    }
    std::string spec = "%";
    while (k < fmt.size() && std::string_view("-+ #0").find(fmt[k]) != std::string_view::npos) spec += fmt[k++];
    while (k < fmt.size() && (std::isdigit(static_cast<unsigned char>(fmt[k])) != 0 || fmt[k] == '.')) {
      spec += fmt[k++];
    }
    if (spec.size() > 12) return make_error("ValueError: format width too large");
    if (k >= fmt.size()) return make_error("ValueError: incomplete format");
    char conv = fmt[k];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (v == nullptr) {
      if (next >= values.size()) return make_error("TypeError: not enough arguments for format string");
      v = &values[next++];
    }
    char buf[512];
    switch (conv) {
      case 's':
      case 'r': {
        std::string s = conv == 's' ? to_str(*v) : repr(*v);
        // Width/precision apply to the text; format it by hand to keep UTF-8 intact.
        out += spec == "%" ? s : [&] {
          std::string padded = s;
          size_t dot = spec.find('.');
          if (dot != std::string::npos) {
            size_t prec = std::stoul("0" + spec.substr(dot + 1));
            auto chars = utf8_chars(padded);
            if (chars.size() > prec) {
              padded.clear();
              for (size_t c = 0; c < prec; ++c) padded += chars[c];
            }
          }
          std::string flags_width = spec.substr(1, dot == std::string::npos ? std::string::npos : dot - 1);
          bool left = flags_width.find('-') != std::string::npos;
          size_t digits_at = flags_width.find_first_of("123456789");
          size_t width = digits_at == std::string::npos ? 0 : std::stoul(flags_width.substr(digits_at));
          size_t len = utf8_length(padded);
          if (len < width && left) padded.append(width - len, ' ');
          if (len < width && !left) padded.insert(0, width - len, ' ');
          return padded;
        }();
        break;
      }
      case 'd':
      case 'i':
      case 'x':
      case 'X':
      case 'o':
      case 'c':
        if (!v->is_number()) {
          return make_error("TypeError: %" + std::string(1, conv) + " format: a real number is required, not " +
                            type_name(*v));
        }
        if (conv == 'c') {
          append_utf8(out, static_cast<uint32_t>(v->as_int()));
          break;
        }
        std::snprintf(buf, sizeof(buf), (spec + "ll" + (conv == 'i' ? 'd' : conv)).c_str(),
                      static_cast<long long>(v->is_integral() ? v->as_int() : static_cast<int64_t>(v->as_double())));
        out += buf;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (!v->is_number()) return make_error("TypeError: must be real number, not " + type_name(*v));
        std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), v->as_double());
        out += buf;
        break;
      default:
        return make_error(std::string("ValueError: unsupported format character '") + conv + "'");
    }
  }
  // Python treats any object with __getitem__ (lists too) as a mapping here: no leftover check.
  bool getitem = args.is_list() && !args.list->tuple;
  if (mapping == nullptr && !getitem && next < values.size()) {
    return make_error("TypeError: not all arguments converted during string formatting");
  }
  return out;
}

}  // namespace minerva::chat
