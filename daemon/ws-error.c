/* SPDX-License-Identifier: ISC */
/*
 * WS_ERROR: the optional rich-error object every listener function fills on
 * failure.  Strings are appended as the error unwinds; index 0 is the most
 * recent one, and the text of ORIGINAL_ERROR_CODE (here: the errno that a
 * canonical WS_E_* code replaced) is the last.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ws-internal.h"

#define LANGID_EN_US 0x0409

struct WS_ERROR {
	uint32_t magic;
	LANGID langid;
	ULONG original;        /* ORIGINAL_ERROR_CODE, 0 when none */
	char *original_text;   /* its string */
	ULONG nstrings;
	WS_STRING *strings;    /* in the order added */
};

static bool
valid(const WS_ERROR *e)
{
	return (e != NULL && e->magic == WS_ERROR_MAGIC);
}

HRESULT
WsCreateError(const WS_ERROR_PROPERTY *props, ULONG count, WS_ERROR **ret)
{
	WS_ERROR *e;
	LANGID langid = LANGID_EN_US;
	ULONG i;

	if (ret == NULL || (count > 0 && props == NULL))
		return (E_INVALIDARG);
	for (i = 0; i < count; i++) {
		/* Only LANGID may be given at creation. */
		if (props[i].id != WS_ERROR_PROPERTY_LANGID ||
		    props[i].value == NULL || props[i].valueSize != sizeof(LANGID))
			return (E_INVALIDARG);
		memcpy(&langid, props[i].value, sizeof(LANGID));
		if (langid == 0)
			return (E_INVALIDARG);
	}
	if ((e = ws_calloc(1, sizeof(*e))) == NULL)
		return (E_OUTOFMEMORY);
	e->magic = WS_ERROR_MAGIC;
	e->langid = langid;
	*ret = e;
	return (S_OK);
}

static HRESULT
add_string(WS_ERROR *e, const char *s, size_t len)
{
	WS_STRING *n;
	char *copy;

	if ((copy = ws_strndup(s, len)) == NULL)
		return (E_OUTOFMEMORY);
	n = ws_realloc(e->strings, (e->nstrings + 1) * sizeof(*n));
	if (n == NULL) {
		ws_free(copy);
		return (E_OUTOFMEMORY);
	}
	e->strings = n;
	e->strings[e->nstrings].chars = copy;
	e->strings[e->nstrings].length = (ULONG)len;
	e->nstrings++;
	return (S_OK);
}

HRESULT
WsAddErrorString(WS_ERROR *e, const WS_STRING *s)
{
	if (!valid(e) || s == NULL || (s->length > 0 && s->chars == NULL))
		return (E_INVALIDARG);
	return (add_string(e, s->chars, s->length));
}

HRESULT
WsGetErrorString(WS_ERROR *e, ULONG index, WS_STRING *out)
{
	if (!valid(e) || out == NULL)
		return (E_INVALIDARG);
	if (index < e->nstrings) {
		*out = e->strings[e->nstrings - 1 - index];
		return (S_OK);
	}
	if (index == e->nstrings && e->original != 0 && e->original_text != NULL) {
		out->chars = e->original_text;
		out->length = (ULONG)strlen(e->original_text);
		return (S_OK);
	}
	return (E_INVALIDARG);
}

static ULONG
string_count(const WS_ERROR *e)
{
	return (e->nstrings + (e->original != 0 && e->original_text != NULL));
}

HRESULT
WsGetErrorProperty(WS_ERROR *e, WS_ERROR_PROPERTY_ID id, void *buf, ULONG size)
{
	ULONG v;

	if (!valid(e) || buf == NULL)
		return (E_INVALIDARG);
	switch (id) {
	case WS_ERROR_PROPERTY_STRING_COUNT:
	case WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE:
		if (size != sizeof(ULONG))
			return (E_INVALIDARG);
		v = id == WS_ERROR_PROPERTY_STRING_COUNT ? string_count(e) :
		    e->original;
		memcpy(buf, &v, sizeof(v));
		return (S_OK);
	case WS_ERROR_PROPERTY_LANGID:
		if (size != sizeof(LANGID))
			return (E_INVALIDARG);
		memcpy(buf, &e->langid, sizeof(LANGID));
		return (S_OK);
	}
	return (E_INVALIDARG);
}

static HRESULT
set_original(WS_ERROR *e, ULONG code, const char *text)
{
	char *copy;

	if ((copy = ws_strndup(text, strlen(text))) == NULL)
		return (E_OUTOFMEMORY);
	ws_free(e->original_text);
	e->original_text = copy;
	e->original = code;
	return (S_OK);
}

HRESULT
WsSetErrorProperty(WS_ERROR *e, WS_ERROR_PROPERTY_ID id, const void *buf,
    ULONG size)
{
	char text[64];
	ULONG v;

	if (!valid(e) || buf == NULL)
		return (E_INVALIDARG);
	switch (id) {
	case WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE:
		if (size != sizeof(ULONG))
			return (E_INVALIDARG);
		memcpy(&v, buf, sizeof(v));
		snprintf(text, sizeof(text), "original error code 0x%08X",
		    (unsigned int)v);
		return (set_original(e, v, text));
	case WS_ERROR_PROPERTY_LANGID:
		/* Fixed at creation, as on Windows. */
		return (WS_E_INVALID_OPERATION);
	case WS_ERROR_PROPERTY_STRING_COUNT:
		break;
	}
	return (E_INVALIDARG);
}

HRESULT
WsResetError(WS_ERROR *e)
{
	ULONG i;

	if (!valid(e))
		return (E_INVALIDARG);
	for (i = 0; i < e->nstrings; i++)
		ws_free(e->strings[i].chars);
	ws_free(e->strings);
	ws_free(e->original_text);
	e->strings = NULL;
	e->nstrings = 0;
	e->original = 0;
	e->original_text = NULL;
	return (S_OK);
}

void
WsFreeError(WS_ERROR *e)
{
	if (!valid(e))
		return;
	WsResetError(e);
	e->magic = 0;
	ws_free(e);
}

/*
 * Record a failure: append the sentence, and when a system error was
 * mapped to a canonical code, keep the errno as ORIGINAL_ERROR_CODE.
 * Running out of memory here loses only the explanation, never the
 * HRESULT, which is returned as given.
 */
HRESULT
ws_error_fill(WS_ERROR *e, HRESULT hr, int sys_errno, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	if (!valid(e))
		return (hr);
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return (hr);
	(void)add_string(e, text, strlen(text));
	if (sys_errno != 0) {
		snprintf(text, sizeof(text), "errno %d (%s): %s", sys_errno,
		    strerrorname_np(sys_errno) != NULL ?
			strerrorname_np(sys_errno) : "?",
		    strerror(sys_errno));
		(void)set_original(e, (ULONG)sys_errno, text);
	}
	return (hr);
}

HRESULT
ws_fail_set(struct ws_fail *f, HRESULT hr, int sys_errno, const char *fmt, ...)
{
	va_list ap;

	f->hr = hr;
	f->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return (hr);
}

const char *
WslErrorText(WS_ERROR *e)
{
	static const char empty[] = "";

	if (!valid(e) || e->nstrings == 0)
		return (empty);
	return (e->strings[e->nstrings - 1].chars);
}

/* The canonical code for a system error, as native WWS maps Winsock's. */
HRESULT
ws_hr_from_errno(int e)
{
	switch (e) {
	case 0:
		return (S_OK);
	case EADDRINUSE:
		return (WS_E_ADDRESS_IN_USE);
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
	case ENETUNREACH:
	case ENOENT:
	case ENOTDIR:
	case EROFS:
		return (WS_E_ADDRESS_NOT_AVAILABLE);
	case EACCES:
	case EPERM:
		return (E_ACCESSDENIED);
	case ENOMEM:
	case ENOBUFS:
		return (E_OUTOFMEMORY);
	case EMFILE:
	case ENFILE:
		return (WS_E_QUOTA_EXCEEDED);
	case ENAMETOOLONG:
		return (WS_E_INVALID_ENDPOINT_URL);
	case ETIMEDOUT:
		return (WS_E_OPERATION_TIMED_OUT);
	case ECANCELED:
		return (WS_E_OPERATION_ABORTED);
	}
	return (WS_E_OTHER);
}
