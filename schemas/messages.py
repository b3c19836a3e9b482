"""Validation messages in Chinese, for the people who read them (网格员, 志愿者).

The schemas and services speak English; a phone shows a refused mutation, and the
console an error of the HTTP API (by `Accept-Language`, Chinese unless English is
asked for), to someone who reads Chinese. A message this table does not know stays
English: better an English reason than none.
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
    # Sentences of the HTTP door and the services (problem+json `detail`).
    "invalid or missing fields": "字段无效或缺失",
    "wrong username or password": "用户名或密码错误。",
    "the account is disabled": "账号已停用。",
    "the token is not valid or has been revoked": "登录凭据无效或已被注销，请重新登录。",
    "a bearer token (or the console's session cookie) is required": "请先登录。",
    "no console session: sign in at /api/v1/auth/session": "未登录控制台，请先登录。",
    "a write from the console must carry the X-CSRF-Token header of its session": (
        "请求缺少本次登录的安全令牌（X-CSRF-Token），请刷新页面后重试。"
    ),
    "you cannot disable your own account": "不能停用自己的账号。",
    "must be at least 8 characters": "至少 8 个字符。",
    "the user cannot be created as given": "无法按所填内容创建账号。",
    # Invite codes (邀请码) and joining with one.
    "unknown invite code: check it and try again": "邀请码不存在，请核对后重试。",
    "this invite code has been deactivated": "该邀请码已停用。",
    "hazard category no longer in use": "该隐患类别已停用，请选择其他类别。",
    "this invite code has expired": "该邀请码已过期。",
    "this invite code has been used up": "该邀请码的名额已用完。",
    "this phone number is already registered: sign in instead": "该手机号已注册，请直接登录。",
    "already registered": "已注册。",
    "not a mobile phone number (11 digits, starting with 1)": (
        "不是有效的手机号码（以 1 开头的 11 位数字）。"
    ),
    "the account cannot be created as given": "无法按所填内容创建账号。",
    "the invite code cannot be created as given": "无法按所填内容创建邀请码。",
    "the invite code cannot be changed as given": "无法按所填内容修改邀请码。",
    "must be in the future": "必须晚于当前时间。",
    "must be a whole number from 1": "必须是不小于 1 的整数。",
    "you may only sign out your own devices": "只能注销自己的设备。",
    "only the reporter corrects a report": "只有上报人可以更正上报内容。",
    "only a grid worker of the hazard's grid may verify it on site": (
        "只有隐患所在网格的网格员可以现场复核。"
    ),
    "there is no extension request to decide": "没有待审批的延期申请。",
    "this place is outside your grids": "该检查对象不在您负责的网格内。",
    "a grid worker adds places in their own grids only": (
        "网格员只能在自己负责的网格内添加检查对象。"
    ),
    "only inspectors and the office add places": "只有检查人员和区安委办可以添加检查对象。",
    "a department sees only its own figures": "部门只能查看本部门的统计数据。",
    "inspection figures are for the office and street offices": (
        "检查统计仅供区安委办和街道办事处查看。"
    ),
    "volunteers have no work queue; see your reports under /hazards": (
        "志愿者没有待办队列，请在手机应用中查看您的上报。"
    ),
    "the hazards the earlier inspection found are not all closed": (
        "上次检查发现的隐患尚未全部销号。"
    ),
    "this checklist already has a draft: edit or publish it": (
        "该检查清单已有草稿，请编辑或发布草稿。"
    ),
    "the period is empty": "统计期间为空。",
    "the period is longer than five years": "统计期间不能超过五年。",
    "not an ISO week": "不是有效的 ISO 周（例如 2026-W23）。",
    "the body holds values no database can store": "请求中含有无法存储的值。",
    "the server failed to handle this request; it has been logged": (
        "服务器处理请求时出错，已记录。"
    ),
    "send the body as JSON with Content-Type: application/json": (
        "请求体须为 JSON（Content-Type: application/json）。"
    ),
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
    "assignees": "检查人员",
    "grouping": "分组方式",
    "parent area": "上级区域",
    "or unpublished checklist version": "或未发布的检查清单版本",
    "area": "区域",
}

_NO_SUCH = {
    "hazard": "隐患不存在，或您无权查看。",
    "inspection": "检查记录不存在，或您无权查看。",
    "photo": "照片不存在，或您无权查看。",
    "place": "检查对象不存在。",
    "routing rule": "分派规则不存在。",
}
_NO_ONE = {
    "category": "隐患类别 %s 不存在。",
    "checklist": "检查清单 %s 不存在。",
    "department": "部门 %s 不存在。",
    "user": "用户 %s 不存在。",
}
_STATUS_ZH = {
    "reported": "待分派",
    "assigned": "待签收",
    "accepted": "已签收",
    "rectifying": "整改中",
    "rectified": "待复核",
    "verified": "已复核",
    "closed": "已销号",
    "invalid": "无效",
    "duplicate": "重复",
}
_SEVERITY_ZH = {"general": "一般隐患", "major": "重大隐患"}

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
    (re.compile(r"category '([^']*)' is deactivated"), r"隐患类别 \1 已停用，请选择其他类别。"),
    (re.compile(r"no such (hazard|inspection|photo|place|routing rule)"), lambda m: _NO_SUCH[m[1]]),
    (
        re.compile(r"no (category|checklist|department|user) '([^']*)'"),
        lambda m: _NO_ONE[m[1]] % m[2],
    ),
    (
        re.compile(r"(category|department|user|checklist) '([^']*)' already exists"),
        r"代码 \2 已被使用。",
    ),
    (re.compile(r"a (\w+) may not (\w+) \((.+)\) a hazard"), r"您的角色无权对隐患执行“\3”。"),
    (
        re.compile(r"only staff of the lead department may (\w+) this hazard"),
        "只有责任部门的工作人员可以执行此操作。",
    ),
    (
        re.compile(r"cannot (\w+) \((.+)\) a hazard that is (\w+)"),
        lambda m: f"隐患当前为“{_STATUS_ZH.get(m[3], m[3])}”，不能{m[2]}。",
    ),
    (
        re.compile(r"a hazard that is (\w+) can no longer be corrected"),
        lambda m: f"隐患已{_STATUS_ZH.get(m[1], m[1])}，不能再更正。",
    ),
    (
        re.compile(r"the hazard is already (general|major)"),
        lambda m: f"隐患已是{_SEVERITY_ZH[m[1]]}。",
    ),
    (re.compile(r"(\w+) is missing what it needs"), "缺少此操作所需的内容。"),
    (
        re.compile(r"the JSON body is nested deeper than (\d+) levels"),
        r"JSON 请求体嵌套超过 \1 层。",
    ),
    (re.compile(r"invalid or missing fields: (.*)"), r"字段无效或缺失：\1"),
    (re.compile(r"no invite code '([^']*)'"), r"邀请码 \1 不存在。"),
    (
        re.compile(r"the quota cannot be below the (\d+) who have joined"),
        r"名额不能少于已加入的 \1 人。",
    ),
    (re.compile(r"at least (\d+)"), r"不能少于 \1。"),
]


def in_chinese(message: str) -> str:
    """Return a validation message in Chinese, or as it is when it is not known."""
    if message in _EXACT:
        return _EXACT[message]
    for pattern, chinese in _PATTERNS:
        if pattern.fullmatch(message):
            return pattern.sub(chinese, message)
    return message


def is_known(message: str) -> bool:
    """Return whether the table has this message in Chinese."""
    return in_chinese(message) != message


def in_language(messages: object, language: str) -> object:
    """Return messages (a text, or marshmallow's nested dicts and lists of them) in
    `language`: "zh" for Chinese, anything else as they are (English)."""
    if language != "zh":
        return messages
    if isinstance(messages, str):
        return in_chinese(messages)
    if isinstance(messages, dict):
        return {key: in_language(value, language) for key, value in messages.items()}
    if isinstance(messages, list):
        return [in_language(value, language) for value in messages]
    return messages


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
