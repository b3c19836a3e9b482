"""Why a mutation was not applied, in words a person reads, in English and Chinese.

A phone shows these to the volunteer or grid worker whose report was refused, so
they can fix it: a sentence in each language, a machine code, and for invalid
fields `errors` as {dotted.field: [message, ...]} like the HTTP problem documents.
"""

from typing import Any

from schemas.messages import flatten, in_chinese
from server.services.errors import DomainError

# Sentences of the protocol itself (SPEC §9), by code: (English, Chinese).
_PROTOCOL = {
    "seq_reused": (
        "this seq was already used for a different mutation",
        "此序号已用于另一条不同的变更",
    ),
    "seq_behind": (
        "seq {seq} is behind this device's {last}",
        "序号 {seq} 落后于本设备已处理到的 {last}",
    ),
    "waiting": (
        "waiting for seq {expected}; send again in order",
        "正在等待序号 {expected}；请按顺序重新发送",
    ),
    "behind_deferred": (
        "an earlier mutation of this batch was deferred",
        "本批中更早的变更已推迟，请按顺序重新发送",
    ),
}

# What each kind of domain refusal means, for a reader of Chinese; the English
# sentence of the refusal itself says exactly what was wrong.
_DOMAIN_ZH = {
    "invalid_input": "数据不符合规则",
    "not_found": "找不到该对象，或您无权查看",
    "forbidden": "您的角色无权执行此操作",
    "conflict": "与已有记录冲突",
    "unauthenticated": "身份验证失败",
}


def rejection(why: Any, **values: Any) -> dict[str, Any]:
    """Return code, reason, reason_zh (and errors) for a refusal.

    `why` is a protocol code (with `values` for its sentence), marshmallow's
    messages of a mutation that did not load, or a DomainError.
    """
    if isinstance(why, str):
        english, chinese = _PROTOCOL[why]
        return {
            "code": why,
            "reason": english.format(**values),
            "reason_zh": chinese.format(**values),
        }
    if isinstance(why, DomainError):
        errors = flatten(why.errors) if why.errors else {}
        return _with_errors(
            why.code,
            _sentence(why.message, errors),
            _sentence(_DOMAIN_ZH.get(why.code, "无法执行此变更"), errors, zh=True),
            errors,
        )
    errors = flatten(why)
    return _with_errors(
        "validation_failed",
        _sentence("invalid or missing fields", errors),
        _sentence("字段无效或缺失", errors, zh=True),
        errors,
    )


def _sentence(lead: str, errors: dict[str, list[str]], *, zh: bool = False) -> str:
    """Return `lead` followed by each field and its first message."""
    if not errors:
        return lead
    parts = [f"{field}: {in_chinese(m[0]) if zh else m[0]}" for field, m in sorted(errors.items())]
    return f"{lead}（{'；'.join(parts)}）" if zh else f"{lead} ({'; '.join(parts)})"


def _with_errors(
    code: str, reason: str, reason_zh: str, errors: dict[str, list[str]]
) -> dict[str, Any]:
    answer: dict[str, Any] = {"code": code, "reason": reason, "reason_zh": reason_zh}
    if errors:
        answer["errors"] = errors
    return answer
