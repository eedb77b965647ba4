"""Every API error in one JSON shape, decided in one place, and described in the OpenAPI schema.

    {"error": {"code": "invalid", "message": "text: This field is required.",
               "fields": {"text": ["This field is required."]}}}

`code` is stable and machine-readable, `message` is for people, `fields` names each input at
fault (dotted paths into the body, e.g. `posts.3.text`), and is empty when no field is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from supplierwatch.db import TRANSIENT_ERRORS
from supplierwatch.errors import ApplicationError

# Where the API answers; an error anywhere under it is answered in the API's shape.
API_PREFIX = "/api/"

# ApplicationError.code -> HTTP status. A request the schema calls invalid never reaches a service
# (the serializers refuse it: 400); what a service refuses was well formed, so every other code
# (`invalid`: a rule refuses a value, and `fields` names it) is a 422.
APPLICATION_ERROR_STATUS = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "permission_denied": status.HTTP_403_FORBIDDEN,
    "forbidden": status.HTTP_403_FORBIDDEN,
    # The state of things refuses it: the incident's status, a limit reached, a retry in flight.
    "conflict": status.HTTP_409_CONFLICT,
    "limit_reached": status.HTTP_409_CONFLICT,
    "idempotency_key_in_use": status.HTTP_409_CONFLICT,
    "idempotency_key_reused": status.HTTP_422_UNPROCESSABLE_ENTITY,
    # A signed request (an inbound feed) whose signature is missing, wrong or too old.
    "invalid_signature": status.HTTP_401_UNAUTHORIZED,
}
# The challenge a 401 names (WWW-Authenticate): how to authenticate instead.
APPLICATION_ERROR_CHALLENGE = {"invalid_signature": 'Supplierwatch-Signature realm="api"'}
NON_FIELD = "non_field_errors"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        super().__init__(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes; "
            "send fewer items per request."
        )


class _ApplicationAPIError(exceptions.APIException):
    def __init__(self, error: ApplicationError) -> None:
        self.status_code = APPLICATION_ERROR_STATUS.get(
            error.code, status.HTTP_422_UNPROCESSABLE_ENTITY
        )
        self.field = error.field
        # DRF's handler sends it as WWW-Authenticate.
        self.auth_header = APPLICATION_ERROR_CHALLENGE.get(error.code)
        super().__init__(error.message, code=error.code)


def _flatten(detail: Any, path: str = "") -> Iterator[tuple[str, list[str]]]:
    """(dotted path, messages) for every leaf of a DRF error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == NON_FIELD and path:
                yield from _flatten(value, path)  # a list's own errors belong to the list
            else:
                yield from _flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                yield path, [str(item) for item in detail]
            return
        for index, item in enumerate(detail):
            if item:
                yield from _flatten(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, [str(detail)]


def _body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, _ApplicationAPIError):
        detail = exc.detail
        assert isinstance(detail, exceptions.ErrorDetail), "made of one message"
        reason = str(detail)
        if not exc.field:
            return {"code": detail.code, "message": reason, "fields": {}}
        # As for a validation error: the message names the field first.
        return {
            "code": detail.code,
            "message": f"{exc.field}: {reason}",
            "fields": {exc.field: [reason]},
        }
    if isinstance(exc, exceptions.ValidationError):
        fields: dict[str, list[str]] = {}
        general: list[str] = []
        for path, messages in _flatten(exc.detail):
            if path in ("", NON_FIELD):
                general.extend(messages)
            else:
                fields.setdefault(path, []).extend(messages)
        if general:
            message = " ".join(general)
        elif fields:
            first = next(iter(fields))
            message = f"{first}: {fields[first][0]}"
        else:
            message = "The request is not valid."
        return {"code": "invalid", "message": message, "fields": fields}
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    if isinstance(detail, dict | list):
        message = " ".join(messages[0] for _, messages in _flatten(detail))
    else:
        message = str(detail)
    return {"code": str(code), "message": message, "fields": {}}


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's EXCEPTION_HANDLER: DRF's own handling (status, headers, rollback), then our shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # the same words for missing and forbidden objects
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ApplicationError):
        exc = _ApplicationAPIError(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug or an outage, left to Django, which logs and reports it, then
        # answers with server_error below, in this shape.
        return None
    assert isinstance(exc, exceptions.APIException), "DRF answers its own exceptions only"
    response.data = {"error": _body(exc)}
    return response


def _error_response(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": {}}}, status=status_code
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


# Seconds a client waits before retrying when the database is away (a restart takes seconds).
RETRY_AFTER_UNAVAILABLE = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: whatever failed, in a view or a middleware, the API answers in its shape and
    pages with the site's error page. Django has already logged the exception (and sent it to
    the error reports); the answer says nothing of it: no traceback, setting or query.

    A database that cannot be reached is a 503 with Retry-After, as it is over within moments.
    Django calls this handler while it handles the exception, which sys.exc_info() gives."""
    if not _is_api(request):
        return defaults.server_error(request)
    if isinstance(sys.exc_info()[1], TRANSIENT_ERRORS):
        response = _error_response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is briefly unavailable; retry after the seconds Retry-After says.",
        )
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return response
    return _error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "server_error",
        "The server failed to answer this request; the failure is logged. Retry later.",
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (a Host header not allowed, a suspicious request), in the API's shape there."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return _error_response(
        status.HTTP_400_BAD_REQUEST, "bad_request", "The request is not valid HTTP for this site."
    )


@csrf_exempt  # any method: a POST to a wrong address is a 404, not a CSRF failure page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown addresses under /api/ answer in the API's shape rather than with an HTML page."""
    return JsonResponse(
        {"error": {"code": "not_found", "message": "No such API endpoint.", "fields": {}}},
        status=404,
    )


# --- the schema ------------------------------------------------------------------------------


class _ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: `invalid`, `not_found`, ...")
    message = serializers.CharField(help_text="For people.")
    # The metaclass takes declared fields off the class: this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by input at fault (dotted paths into the body); empty when none is.",
    )


class ErrorSerializer(serializers.Serializer):
    error = _ErrorDetailSerializer()


_ERRORS = {
    "400": "Not valid as the schema describes it: a field, a query parameter, the cursor, or "
    "malformed JSON (`fields` names the input).",
    "401": "No API key, or a key that is unknown or revoked.",
    "403": "The key may not do this: read-only key, or an endpoint for the other kind of party.",
    "404": "No such object, or one that belongs to another party (the two are indistinguishable).",
    "422": "Well formed, but a rule the schema cannot express refuses a value (an unknown "
    "supplier, a time out of range, a cursor the API did not give out): `fields` names it.",
    "429": "Too many requests for this key; retry after `Retry-After` seconds.",
    "500": "The server failed (the failure is logged; the answer tells nothing more).",
    "503": "The database is briefly unavailable; retry after `Retry-After` seconds.",
}
_BODY_ERRORS = {
    "409": "The state of things refuses it: the incident's status does not allow the action, a "
    "limit is reached, or a request with the same Idempotency-Key is still being answered.",
    "413": "The request body is larger than the limit (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "415": "The body is not `application/json`.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the errors every endpoint can answer documented."""

    def _get_response_bodies(self, direction: Direction = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(_BODY_ERRORS)
        for code, description in errors.items():
            if code in responses:
                continue
            response = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=description), code
            )
            if code in ("429", "503"):
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before the next request.",
                    }
                }
            responses[code] = response
        return dict(sorted(responses.items()))
