/* SPDX-License-Identifier: ISC */
/*
 * wsl-conf-keys: print the configuration's top-level keys and the
 * listener properties as wsld checks them, one per line:
 *
 *   config<TAB>KEY<TAB>PHRASE
 *   property<TAB>NAME<TAB>PHRASE
 *
 * where PHRASE is what the value must be, as wsld's messages say it ("an
 * integer from 1 to 65536").  tests/lint/conf-keys.sh checks wsld(8)
 * against this, so that the manual's keys and bounds are the code's.
 */
#include <stdio.h>

#include "conf.h"
#include "props.h"

int
main(void)
{
	const char *name;
	char phrase[512];
	size_t i;

	for (i = 0; (name = conf_key_name(i)) != NULL; i++) {
		conf_key_phrase(i, phrase, sizeof(phrase));
		printf("config\t%s\t%s\n", name, phrase);
	}
	for (i = 0; (name = props_name(i)) != NULL; i++) {
		props_phrase(i, phrase, sizeof(phrase));
		printf("property\t%s\t%s\n", name, phrase);
	}
	return (ferror(stdout) ? 1 : 0);
}
