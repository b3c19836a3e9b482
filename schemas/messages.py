"""Validation messages in Chinese, for the people who read them (网格员, 志愿者).

The schemas speak marshmallow's English; a phone shows a refused mutation to
someone who reads Chinese. A message this table does not know stays English:
better an English reason than none.
"""

import re
from collections.abc import Callable

_EXACT = {
    "Missing data for required field.": "缺少必填字段。",
    "Field may not be null.": "不能为空值。",
    "Unknown field.": "未知字段。",
    "Invalid input type.": "输入类型无效。",
    "Invalid value.": "值无效。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid string.": "不是有效的文本。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid aware datetime.": "不是带时区的有效日期时间。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Not a valid tuple.": "不是有效的元组。",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大。",
    "must not be empty": "不能为空。",
    "must be a lowercase hex SHA-256": "必须是小写十六进制的 SHA-256。",
    "a mutation is an object": "每条变更必须是一个对象。",
    "must not contain the NUL character (U+0000)": "不能包含空字符（U+0000）。",
    "must not contain an unpaired surrogate (U+D800 to U+DFFF)": "不能包含未配对的代理字符。",
    "a name must not contain NUL or an unpaired surrogate": "名称不能含空字符或未配对代理字符。",
    "must be a whole number": "必须是整数。",
    "must be a number": "必须是数字。",
    "must be true or false": "必须是 true 或 false。",
}

# The domain's own words for what it cannot find (services' InvalidInput messages).
_UNKNOWN = {
    "category": "隐患类别",
    "hazard category": "隐患类别",
    "department": "部门",
    "grid": "网格",
    "place": "检查对象",
    "place type": "检查对象类型",
    "place types": "检查对象类型",
    "task": "检查任务",
    "hazard": "隐患",
    "crs": "坐标系",
    "parent area": "上级区域",
    "or unpublished checklist version": "或未发布的检查清单版本",
}

_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (
        re.compile(rf"unknown ({'|'.join(sorted(_UNKNOWN, key=len, reverse=True))})\b(.*)"),
        lambda m: f"未知的{_UNKNOWN[m.group(1)]}{m.group(2)}",
    ),
    (
        re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
        r"必须在 \1 到 \2 之间。",
    ),
    (re.compile(r"Must be greater than or equal to (\S+)\."), r"必须大于或等于 \1。"),
    (re.compile(r"Must be less than or equal to (\S+)\."), r"必须小于或等于 \1。"),
    (re.compile(r"Longer than maximum length (\d+)\."), r"超过最大长度 \1。"),
    (re.compile(r"Shorter than minimum length (\d+)\."), r"短于最小长度 \1。"),
    (re.compile(r"Length must be between (\d+) and (\d+)\."), r"长度必须在 \1 到 \2 之间。"),
    (re.compile(r"Must be one of: (.*)\."), r"必须是以下之一：\1。"),
    (re.compile(r"at most (\d+) characters"), r"最多 \1 个字符。"),
    (re.compile(r"must be a 64-bit integer, from (\S+) to (\S+)"), r"必须是 \1 到 \2 之间的整数。"),
    (re.compile(r"a whole number from (\d+) to (\d+)"), r"必须是 \1 到 \2 之间的整数。"),
    (re.compile(r"correct at least one of (.*)"), r"至少更正以下之一：\1。"),
    (re.compile(r"unknown mutation type; one of (.*)"), r"未知的变更类型，应为以下之一：\1。"),
]


def in_chinese(message: str) -> str:
    """Return a validation message in Chinese, or as it is when it is not known."""
    if message in _EXACT:
        return _EXACT[message]
    for pattern, chinese in _PATTERNS:
        if pattern.fullmatch(message):
            return pattern.sub(chinese, message)
    return message


def flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Return marshmallow's nested messages as {dotted.field: [message, ...]}."""
    if not isinstance(messages, dict):
        items = messages if isinstance(messages, list) else [messages]
        return {prefix or "_schema": [str(m) for m in items]}
    flat: dict[str, list[str]] = {}
    for key, inner in messages.items():
        name = "" if key == "_schema" else str(key)
        flat.update(flatten(inner, ".".join(p for p in (prefix, name) if p)))
    return flat
