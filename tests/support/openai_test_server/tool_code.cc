// The tool writer's Python sources. The unit table is the one the server uses
// to decide that failures are about unit conversions, so both agree.
#include "tests/support/openai_test_server/tool_code.h"

#include <algorithm>
#include <cstdio>
#include <regex>

namespace kaizen::testing {
namespace {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// The Python dict body: one "'spelling': ('dimension', 'canonical', factor)," line per unit.
std::string PythonUnits() {
  std::string out;
  for (const auto& u : KnownUnits()) {
    char factor[64];
    std::snprintf(factor, sizeof factor, "%.17g", u.factor);
    out += std::string("    '") + u.spelling + "': ('" + u.dimension + "', '" + u.canonical + "', " + factor + "),\n";
  }
  return out;
}

// Longest spellings first, so "km" is not read as "m" and "kilometers" not as "kilometer".
std::string UnitAlternation() {
  std::vector<std::string> names;
  for (const auto& u : KnownUnits()) names.emplace_back(u.spelling);
  std::stable_sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "|") + n;
  return out;
}

// Python source templates: @NAME@ the function, @UNITS@ the table, @SLOP@ the sloppy bug.
constexpr const char* kConvertUnits = R"PY(import re

# spelling: (dimension, canonical name, size in the dimension's base unit: m, kg, l)
UNITS = {
@UNITS@}
NUMBER = r'(-?\d+(?:\.\d+)?)'


def _round(x):
    x = float('%.6g' % x)
    return int(x) if x == int(x) else x


def _mentions(text):
    names = sorted(UNITS, key=len, reverse=True)
    pattern = r"(?<![\w'])(" + '|'.join(re.escape(n) for n in names) + r")(?!\w)"
    return [(m.start(), m.group(1)) for m in re.finditer(pattern, text)]


def _to_base(value, unit):
    dimension, canonical, factor = UNITS[unit]
    if dimension != 'temperature':
        return value * factor
    if canonical == 'c':
        return value + 273.15
    if canonical == 'f':
        return (value - 32) * 5 / 9 + 273.15
    return value


def _from_base(value, unit):
    dimension, canonical, factor = UNITS[unit]
    if dimension != 'temperature':
        return value / factor
    if canonical == 'c':
        return value - 273.15
    if canonical == 'f':
        return (value - 273.15) * 9 / 5 + 32
    return value


def @NAME@(question):
    """Converts the quantity in the question ("5 km to miles") to the other unit it names."""
    text = re.sub(r'(?<=\d),(?=\d{3})', '', str(question).lower())
    text = re.sub(r'\u00b0\s*c\b', ' celsius', text)
    text = re.sub(r'\u00b0\s*f\b', ' fahrenheit', text)
    text = text.replace('\u00b0', ' degrees ')
    mentions = _mentions(text)
    source = None
    for at, unit in mentions:
        m = re.search(r'(?:' + NUMBER + r'|\b(?:an?|one))\s*(?:degrees?\s*)?$', text[:at])
        if m:  # "a mile", "one foot": 1
            source = (float(m.group(1)) if m.group(1) else 1.0, unit, at)
            break
    if source is None:
        raise ValueError('no quantity with a known unit in: %s' % question)
    value, unit, source_at = source
    dimension, canonical = UNITS[unit][0], UNITS[unit][1]
    targets = [u for at, u in mentions
               if at != source_at and UNITS[u][0] == dimension and UNITS[u][1] != canonical]
    if not targets:
        raise ValueError('no %s unit to convert %s to in: %s' % (dimension, unit, question))
    return _round(_from_base(_to_base(value, unit), targets[0])@SLOP@)
)PY";

constexpr const char* kCalculate = R"PY(import re

NUMBER = r'(-?\d+(?:\.\d+)?)'
# Word forms of arithmetic, rewritten to operators before the expression is read.
PHRASES = [
    (r'square root of\s*' + NUMBER, r'(\1 ** 0.5)'),
    (r'(?:the\s+)?sum of\s*' + NUMBER + r'\s*and\s*' + NUMBER, r'(\1 + \2)'),
    (r'(?:the\s+)?product of\s*' + NUMBER + r'\s*and\s*' + NUMBER, r'(\1 * \2)'),
    (r'(?:the\s+)?difference (?:between|of)\s*' + NUMBER + r'\s*and\s*' + NUMBER, r'(\1 - \2)'),
    (r'(?:the\s+)?quotient of\s*' + NUMBER + r'\s*and\s*' + NUMBER, r'(\1 / \2)'),
    (r'\badd\s*' + NUMBER + r'\s*to\s*' + NUMBER, r'(\2 + \1)'),
    (r'\bsubtract\s*' + NUMBER + r'\s*from\s*' + NUMBER, r'(\2 - \1)'),
    (r'\bmultiply\s*' + NUMBER + r'\s*by\s*' + NUMBER, r'(\1 * \2)'),
    (r'\bdivide\s*' + NUMBER + r'\s*by\s*' + NUMBER, r'(\1 / \2)'),
    (NUMBER + r'\s*(?:%|percent)\s*of\s*' + NUMBER, r'(\1 / 100 * \2)'),
    (r'\bsquared\b', ' ** 2'),
    (r'\bcubed\b', ' ** 3'),
    (r'\bto the power of\b', ' ** '),
    (r'\bmultiplied by\b', ' * '),
    (r'\bdivided by\b', ' / '),
    (r'\btimes\b', ' * '),
    (r'\bplus\b', ' + '),
    (r'\bminus\b', ' - '),
    (r'\bover\b', ' / '),
    (r'(?<=[\d)])\s*x\s*(?=[\d(])', ' * '),
]
TOKEN = r'(?<![a-z_])\d+(?:\.\d+)?|\*\*|[-+*/()]'


def _round(x):
    x = float('%.6g' % x)
    return int(x) if x == int(x) else x


class _Parser:
    """Recursive descent over numbers, + - * / ** and parentheses (no eval)."""

    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def expr(self):
        value = self.term()
        while self.peek() in ('+', '-'):
            op = self.take()
            rhs = self.term()
            value = value + rhs if op == '+' else value - rhs
        return value

    def term(self):
        value = self.power()
        while self.peek() in ('*', '/'):
            op = self.take()
            rhs = self.power()
            value = value * rhs if op == '*' else value / rhs
        return value

    def power(self):
        base = self.unary()
        if self.peek() != '**':
            return base
        self.take()
        exponent = self.power()
        if abs(exponent) > 1000:
            raise ValueError('exponent too large')
        return base ** exponent

    def unary(self):
        if self.peek() == '-':
            self.take()
            return -self.unary()
        if self.peek() == '+':
            self.take()
            return self.unary()
        return self.atom()

    def atom(self):
        token = self.take()
        if token == '(':
            value = self.expr()
            if self.take() != ')':
                raise ValueError('unbalanced parentheses')
            return value
        if token is None or not token[0].isdigit():
            raise ValueError('expected a number, got %r' % (token,))
        return float(token)


def @NAME@(question):
    """Computes the arithmetic in the question ("what is 12 plus 7?", "3 x 4", "9 squared")."""
    text = str(question).lower()
    text = re.sub(r'(?<=\d),(?=\d{3})', '', text)
    text = re.sub(r'(?<=[a-z])-(?=[a-z])', ' ', text)  # hyphenated words are not subtractions
    text = text.replace('\u00d7', '*').replace('\u00f7', '/')
    for pattern, replacement in PHRASES:
        text = re.sub(pattern, replacement, text)
    tokens = re.findall(TOKEN, text)
    if not any(t[0].isdigit() for t in tokens):
        raise ValueError('no number in: %s' % question)
    parser = _Parser(tokens)
    value = parser.expr()
    if parser.pos != len(tokens):
        raise ValueError('cannot read the arithmetic in: %s' % question)
    return _round(value@SLOP@)
)PY";

std::string Fill(const char* code, const std::string& name, bool sloppy) {
  std::string out = ReplaceAll(code, "@NAME@", name);
  out = ReplaceAll(out, "@UNITS@", PythonUnits());
  return ReplaceAll(out, "@SLOP@", sloppy ? " + 1" : "");  // sloppy: off by one, so its tests fail
}

}  // namespace

const std::vector<UnitName>& KnownUnits() {
  static const std::vector<UnitName> kUnits = {
      // length, in meters
      {"km", "length", "km", 1000}, {"kilometer", "length", "km", 1000}, {"kilometers", "length", "km", 1000},
      {"kilometre", "length", "km", 1000}, {"kilometres", "length", "km", 1000},
      {"mi", "length", "mi", 1609.344}, {"mile", "length", "mi", 1609.344}, {"miles", "length", "mi", 1609.344},
      {"m", "length", "m", 1}, {"meter", "length", "m", 1}, {"meters", "length", "m", 1},
      {"metre", "length", "m", 1}, {"metres", "length", "m", 1},
      {"cm", "length", "cm", 0.01}, {"centimeter", "length", "cm", 0.01}, {"centimeters", "length", "cm", 0.01},
      {"centimetre", "length", "cm", 0.01}, {"centimetres", "length", "cm", 0.01},
      {"mm", "length", "mm", 0.001}, {"millimeter", "length", "mm", 0.001}, {"millimeters", "length", "mm", 0.001},
      {"millimetre", "length", "mm", 0.001}, {"millimetres", "length", "mm", 0.001},
      {"ft", "length", "ft", 0.3048}, {"foot", "length", "ft", 0.3048}, {"feet", "length", "ft", 0.3048},
      {"inch", "length", "in", 0.0254}, {"inches", "length", "in", 0.0254},
      {"yd", "length", "yd", 0.9144}, {"yard", "length", "yd", 0.9144}, {"yards", "length", "yd", 0.9144},
      // mass, in kilograms
      {"kg", "mass", "kg", 1}, {"kilogram", "mass", "kg", 1}, {"kilograms", "mass", "kg", 1},
      {"g", "mass", "g", 0.001}, {"gram", "mass", "g", 0.001}, {"grams", "mass", "g", 0.001},
      {"lb", "mass", "lb", 0.45359237}, {"lbs", "mass", "lb", 0.45359237}, {"pound", "mass", "lb", 0.45359237},
      {"pounds", "mass", "lb", 0.45359237},
      {"oz", "mass", "oz", 0.028349523125}, {"ounce", "mass", "oz", 0.028349523125},
      {"ounces", "mass", "oz", 0.028349523125},
      // volume, in liters (US gallons)
      {"l", "volume", "l", 1}, {"liter", "volume", "l", 1}, {"liters", "volume", "l", 1},
      {"litre", "volume", "l", 1}, {"litres", "volume", "l", 1},
      {"ml", "volume", "ml", 0.001}, {"milliliter", "volume", "ml", 0.001}, {"milliliters", "volume", "ml", 0.001},
      {"millilitre", "volume", "ml", 0.001}, {"millilitres", "volume", "ml", 0.001},
      {"gallon", "volume", "gal", 3.785411784}, {"gallons", "volume", "gal", 3.785411784},
      // temperature: by formula
      {"celsius", "temperature", "c", 0}, {"fahrenheit", "temperature", "f", 0}, {"kelvin", "temperature", "k", 0},
      {"kelvins", "temperature", "k", 0}};
  return kUnits;
}

bool MentionsUnitQuantity(const std::string& text) {
  // A number (or "a", "an", "one"), optionally "degrees", then a unit spelling that is a whole word.
  static const std::regex kQuantity("(^|[^a-z0-9_'])(-?[0-9]+(\\.[0-9]+)?\\s*|(an?|one)\\s+)(degrees?\\s*)?(" + UnitAlternation() +
                                    ")(?![a-z0-9_])", std::regex::icase);
  // "100°F", "20 °C": the unit spelled out.
  std::string plain = std::regex_replace(text, std::regex("\xc2\xb0\\s*[cC](?![a-zA-Z])"), " celsius");
  plain = std::regex_replace(plain, std::regex("\xc2\xb0\\s*[fF](?![a-zA-Z])"), " fahrenheit");
  plain = ReplaceAll(plain, "\xc2\xb0", " degrees ");
  plain = std::regex_replace(plain, std::regex("([0-9]),([0-9]{3})"), "$1$2");
  return std::regex_search(plain, kQuantity);
}

bool MentionsArithmetic(const std::string& text) {
  static const std::regex kDigit("[0-9]");
  static const std::regex kOperator(
      "[-+*/]|[0-9)]\\s*x\\s*[0-9(]|\\b(plus|minus|times|multiplied|multiply|divided|divide|over|sum|product|"
      "difference|quotient|squared|cubed|power|percent|root|add|subtract)\\b",
      std::regex::icase);
  if (!std::regex_search(text, kDigit)) return false;
  return text.find("\xc3\x97") != std::string::npos || text.find("\xc3\xb7") != std::string::npos ||  // × ÷
         std::regex_search(text, kOperator);
}

std::string ConvertUnitsCode(const std::string& name, bool sloppy) { return Fill(kConvertUnits, name, sloppy); }
std::string CalculateCode(const std::string& name, bool sloppy) { return Fill(kCalculate, name, sloppy); }

}  // namespace kaizen::testing
