/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the configuration parser: any bytes are either a
 * configuration or an error located at FILE:LINE:COLUMN.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(false, 0);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[1024];

	if (conf_parse("fuzz.json", (const char *)data, size, &c, err,
	    sizeof(err)) == 0)
		conf_free(&c);
	else if (strncmp(err, "fuzz.json:", 10) != 0)
		abort(); /* every error says where */
	return (0);
}
