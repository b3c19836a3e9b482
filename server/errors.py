"""One JSON shape for every failure: RFC 9457 application/problem+json.

Its words (`title`, `detail`, the field messages of `errors`) are in the language the
request's `Accept-Language` prefers: Chinese when it names none of ours (zh-CN is the
product's language), English when English comes first. `code` and `type` never change.
"""

import logging

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from schemas.messages import in_language, is_known
from server.extensions import db
from server.services.errors import (
    AlreadyExists,
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from server.services.lifecycle import IllegalTransition
from uploads.errors import (
    CorruptImage,
    DecompressionBomb,
    HashMismatch,
    IntakeError,
    TooLarge,
    UnsupportedImage,
)

log = logging.getLogger(__name__)

DOMAIN_STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    AlreadyExists: 409,
    Conflict: 409,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    IllegalTransition: 409,
    TooLarge: 413,
    UnsupportedImage: 415,
    HashMismatch: 422,
    CorruptImage: 422,
    DecompressionBomb: 422,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    500: "internal_error",
}


# The status lines in Chinese, and what each kind of refusal means to a reader of Chinese
# when the table of messages does not know the English sentence.
TITLES_ZH = {
    400: "请求无效",
    401: "未登录",
    403: "无权限",
    404: "不存在",
    405: "不支持此方法",
    409: "冲突",
    413: "内容过大",
    415: "不支持的内容类型",
    422: "数据无效",
    500: "服务器内部错误",
}
MEANING_ZH = {
    400: "请求无效",
    401: "身份验证失败",
    403: "您的角色无权执行此操作",
    404: "找不到该对象，或您无权查看",
    405: "不支持此请求方法",
    409: "与当前状态冲突",
    413: "内容过大",
    415: "不支持的内容类型",
    422: "数据不符合规则",
}


def answer_language():
    """Return "en" or "zh": the first of the two `Accept-Language` names by preference,
    Chinese when it names neither (or is absent)."""
    for tag, _quality in request.accept_languages:  # best first
        primary = tag.split("-")[0].lower()
        if primary in ("en", "zh"):
            return primary
    return "zh"


def _detail_in(language, status, detail):
    if language != "zh" or is_known(detail):
        return in_language(detail, language)
    # Not in the table: what it means in Chinese, the exact English reason beside it.
    meaning = MEANING_ZH.get(status, TITLES_ZH.get(status, "请求失败"))
    return f"{meaning}（{detail}）"


def problem(status, detail, *, code=None, errors=None, headers=None, extra=None, localized=False):
    """Return a problem+json response, in the words of the request's language
    (`localized`: `detail` is in it already)."""
    code = code or HTTP_CODES.get(status, "error")
    language = answer_language()
    title = HTTP_STATUS_CODES.get(status, "Error")
    body = {
        "type": f"/problems/{code}",
        "title": TITLES_ZH.get(status, title) if language == "zh" else title,
        "status": status,
        "detail": detail if localized else _detail_in(language, status, detail),
        "code": code,
    }
    if errors:
        body["errors"] = in_language(errors, language)
    body.update(extra or {})
    response = current_app.json.response(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers["Content-Language"] = "en" if language == "en" else "zh-CN"
    response.vary.add("Accept-Language")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(messages):
    """Flatten webargs' {location: {field: [...]}} to {field: [...]}."""
    errors = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            errors.update(fields)
        else:
            errors[location] = fields
    return _text_keys(errors)


def _text_keys(messages):
    """Return marshmallow's messages with every key as text: a list's errors are keyed by
    index (0, 1, …) beside "_schema", and JSON cannot sort an int against a str."""
    if isinstance(messages, dict):
        return {str(key): _text_keys(value) for key, value in messages.items()}
    return messages


def handle_domain_error(error):
    """Answer a domain or photo-intake exception with its status."""
    db.session.rollback()
    status = next(s for cls, s in DOMAIN_STATUS.items() if isinstance(error, cls))
    context = getattr(error, "context", {})
    # What the caller needs to decide again: the hazard as it now is, and who holds it.
    extra = {name: context[name] for name in ("current", "holder") if name in context} or None
    return problem(
        status, error.message, code=error.code, errors=getattr(error, "errors", None), extra=extra
    )


def handle_http_exception(error):
    """Answer an HTTP error (including webargs validation) as problem+json."""
    db.session.rollback()
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data["messages"]) if "messages" in data else data.get("errors")
    detail = data.get("message") or error.description
    if error.code == 422 and errors:
        detail = "invalid or missing fields: " + ", ".join(sorted(errors))
    elif error.code == 400 and errors:
        language = answer_language()
        said = [in_language(str(m), language) for msgs in errors.values() for m in msgs]
        if said:
            return problem(400, "; ".join(said), errors=errors, localized=True)
    headers = {}
    extra = {"limit": error.limit} if getattr(error, "limit", None) else None
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(error.code, detail, errors=errors, headers=headers, extra=extra)


def handle_unexpected(error):
    """Log an unexpected failure and answer 500 without a stack trace."""
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return problem(500, "the server failed to handle this request; it has been logged")


def init_app(app):
    """Register the error handlers on the app."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntakeError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
