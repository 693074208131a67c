/* record.h: the records an agent (and the init around it) sends, one JSON object per
 * line: which types exist and how long a line may be. The host's channel reader and the
 * VMM's result device both check records against these. */
#pragma once

#include <stdbool.h>

/* The longest record line, newline excluded. */
#define VMB_RECORD_MAX ((1u << 20) - 1)

/* At most this many records from one instance, and this many bytes in all:
 * an agent sends a handful; more is a runaway or a hostile guest. */
#define VMB_RECORDS_MAX      1024u
#define VMB_RECORD_BYTES_MAX (16u << 20)

/* Whether `type` is a record an agent or its init may send: "phase",
 * "ready", "result", "done", "init", "error". */
bool vmb_record_type_allowed(const char *type);
