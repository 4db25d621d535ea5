// The JSON reader (RFC 8259, strict): recursive descent with a depth limit, UTF-8 validation, \uXXXX
// escapes with surrogate pairs, int64 integers without overflow, doubles via std::from_chars (locale-free).
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include "cohort/errors.h"
#include "core/json_lite.h"

namespace cohort::json {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

  Value parse_document() {
    if (text_.size() > options_.max_bytes) {
      fail(0, "document of " + std::to_string(text_.size()) + " bytes exceeds the limit of " +
                  std::to_string(options_.max_bytes));
    }
    skip_whitespace();
    Value value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail(pos_, "expected the end of the document but found " + describe_here());
    return value;
  }

 private:
  [[noreturn]] void fail(size_t offset, const std::string& problem) const {
    throw InvalidArgumentError(options_.source + ": invalid JSON at byte " + std::to_string(offset) + ": " +
                               problem);
  }

  std::string describe_here() const {
    if (pos_ >= text_.size()) return "the end of the document";
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    static constexpr char kDigits[] = "0123456789abcdef";
    return std::string("byte 0x") + kDigits[c >> 4] + kDigits[c & 0xf];
  }

  void skip_whitespace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c, const char* context) {
    if (!consume(c)) fail(pos_, std::string("expected '") + c + "' " + context + " but found " + describe_here());
  }

  Value parse_value(size_t depth) {
    if (pos_ >= text_.size()) fail(pos_, "expected a value but found the end of the document");
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= options_.max_depth) {
        fail(pos_, "nesting deeper than the limit of " + std::to_string(options_.max_depth));
      }
      return c == '{' ? parse_object(depth + 1) : parse_array(depth + 1);
    }
    if (c == '"') return Value::string(parse_string());
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (parse_literal("true")) return Value::boolean(true);
    if (parse_literal("false")) return Value::boolean(false);
    if (parse_literal("null")) return Value();
    fail(pos_, "expected a value but found " + describe_here());
  }

  bool parse_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  Value parse_object(size_t depth) {
    const size_t start = pos_++;
    Value object = Value::object();
    skip_whitespace();
    if (consume('}')) return object;
    for (;;) {
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail(pos_, "expected a key string but found " + describe_here());
      std::string key = parse_string();
      skip_whitespace();
      expect(':', "after an object key");
      skip_whitespace();
      object.append_member(std::move(key), parse_value(depth));
      skip_whitespace();
      if (consume('}')) break;
      expect(',', "or '}' in an object");
    }
    const size_t duplicate = object.first_duplicate_member();
    if (duplicate < object.size()) {
      fail(start, "object has a duplicate key \"" + object.key(duplicate) + "\"");
    }
    return object;
  }

  Value parse_array(size_t depth) {
    ++pos_;
    Value array = Value::array();
    skip_whitespace();
    if (consume(']')) return array;
    for (;;) {
      skip_whitespace();
      array.push_back(parse_value(depth));
      skip_whitespace();
      if (consume(']')) return array;
      expect(',', "or ']' in an array");
    }
  }

  Value parse_number() {
    const size_t start = pos_;
    const bool negative = consume('-');
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
      fail(pos_, "expected a digit but found " + describe_here());
    }
    if (!consume('0')) {
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    }
    const size_t integer_end = pos_;
    bool is_integer = true;
    if (consume('.')) {
      is_integer = false;
      require_digits("after a decimal point");
    }
    if (consume('e') || consume('E')) {
      is_integer = false;
      if (!consume('+')) consume('-');
      require_digits("in an exponent");
    }
    if (is_integer) return Value::integer(to_int64(start, negative ? start + 1 : start, integer_end, negative));
    double value = 0;
    const auto [end, error] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (error != std::errc() || end != text_.data() + pos_) {
      fail(start, "number " + std::string(text_.substr(start, pos_ - start)) + " is out of double range");
    }
    return Value::number(value);
  }

  void require_digits(const char* context) {
    const size_t first = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == first) fail(pos_, std::string("expected a digit ") + context + " but found " + describe_here());
  }

  int64_t to_int64(size_t start, size_t digits_begin, size_t digits_end, bool negative) const {
    // Magnitude limit: 2^63 - 1 for positive numbers, 2^63 for negative ones.
    const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
    uint64_t magnitude = 0;
    for (size_t i = digits_begin; i < digits_end; ++i) {
      const uint64_t digit = static_cast<uint64_t>(text_[i] - '0');
      if (magnitude > (limit - digit) / 10) {
        fail(start, "integer " + std::string(text_.substr(start, digits_end - start)) + " is outside int64");
      }
      magnitude = magnitude * 10 + digit;
    }
    if (!negative) return static_cast<int64_t>(magnitude);
    return magnitude == limit ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(magnitude);
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) fail(pos_, "unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        parse_escape(out);
      } else if (c < 0x20) {
        fail(pos_, "control character " + describe_here() + " in a string must be escaped");
      } else if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        ++pos_;
      } else {
        copy_utf8_sequence(out);
      }
    }
  }

  void parse_escape(std::string& out) {
    const size_t start = pos_++;
    if (pos_ >= text_.size()) fail(start, "unterminated escape sequence");
    const char c = text_[pos_++];
    switch (c) {
      case '"': out.push_back('"'); return;
      case '\\': out.push_back('\\'); return;
      case '/': out.push_back('/'); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': break;
      default: fail(start, "unknown escape sequence \\" + describe_at(pos_ - 1));
    }
    uint32_t code = parse_hex4(start);
    if (code >= 0xDC00 && code <= 0xDFFF) fail(start, "lone low surrogate in a \\u escape");
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (!(consume('\\') && consume('u'))) fail(start, "high surrogate not followed by a \\u low surrogate");
      const uint32_t low = parse_hex4(pos_ - 2);
      if (low < 0xDC00 || low > 0xDFFF) fail(start, "high surrogate not followed by a low surrogate");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, code);
  }

  std::string describe_at(size_t offset) const {
    const unsigned char c = static_cast<unsigned char>(text_[offset]);
    return c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : "(byte " + std::to_string(c) + ")";
  }

  uint32_t parse_hex4(size_t escape_start) {
    if (text_.size() - pos_ < 4) fail(escape_start, "truncated \\u escape");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      const int digit = (h >= '0' && h <= '9')   ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                 : -1;
      if (digit < 0) fail(escape_start, "\\u escape needs 4 hex digits");
      code = (code << 4) | static_cast<uint32_t>(digit);
    }
    return code;
  }

  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  // One well-formed UTF-8 sequence (no overlong forms, no surrogates, at most U+10FFFF), copied verbatim.
  void copy_utf8_sequence(std::string& out) {
    const size_t start = pos_;
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text_[start + i]); };
    const unsigned char lead = byte(0);
    // Sequence length, smallest code point that needs it, payload bits of the lead byte.
    const size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    const uint32_t min = length == 4 ? 0x10000 : length == 3 ? 0x800 : 0x80;
    uint32_t code = lead & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
    if (lead < 0xC2 || lead > 0xF4) fail(start, "invalid UTF-8 lead " + describe_here());
    if (text_.size() - start < length) fail(start, "truncated UTF-8 sequence");
    for (size_t i = 1; i < length; ++i) {
      if ((byte(i) & 0xC0) != 0x80) fail(start, "invalid UTF-8 continuation byte");
      code = (code << 6) | (byte(i) & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      fail(start, "invalid UTF-8 sequence (overlong, surrogate or beyond U+10FFFF)");
    }
    out.append(text_.substr(start, length));
    pos_ += length;
  }

  std::string_view text_;
  const ParseOptions& options_;
  size_t pos_ = 0;
};

Value parse(std::string_view text, const ParseOptions& options) { return Parser(text, options).parse_document(); }

}  // namespace cohort::json
