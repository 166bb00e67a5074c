/* SPDX-License-Identifier: ISC */
/*
 * wsl-conf-keys: print every key of the configuration file as wsld checks
 * it, one per line, from the tables the checks use:
 *
 *   config<TAB>KEY<TAB>PHRASE           the top-level keys (conf.c)
 *   listener<TAB>KEY<TAB>PHRASE         a listener's keys (spec.c)
 *   property<TAB>NAME<TAB>PHRASE        the listener properties (props.c)
 *   handler<TAB>TYPE<TAB>-              each handler type (handler.c)
 *   handler-TYPE<TAB>KEY<TAB>PHRASE     that handler's keys (handler-*.c)
 *
 * where PHRASE is what the value must be, as wsld's messages say it ("an
 * integer from 1 to 65536").  tests/lint/conf-keys.sh checks wsld.conf(5)
 * against this, so that the manual's keys and bounds are the code's.
 */
#include <stdio.h>

#include "conf.h"
#include "handler.h"
#include "props.h"
#include "spec.h"

int
main(void)
{
	const struct handler_type *h;
	const char *name;
	char phrase[512];
	size_t i, j;

	for (i = 0; (name = conf_key_name(i)) != NULL; i++) {
		conf_key_phrase(i, phrase, sizeof(phrase));
		printf("config\t%s\t%s\n", name, phrase);
	}
	for (i = 0; (name = spec_key_name(i)) != NULL; i++)
		printf("listener\t%s\t%s\n", name, spec_key_phrase(i));
	for (i = 0; (name = props_name(i)) != NULL; i++) {
		props_phrase(i, phrase, sizeof(phrase));
		printf("property\t%s\t%s\n", name, phrase);
	}
	for (i = 0; (h = handler_at(i)) != NULL; i++) {
		printf("handler\t%s\t-\n", h->name);
		for (j = 0; h->keys[j].name != NULL; j++)
			printf("handler-%s\t%s\t%s\n", h->name, h->keys[j].name,
			    h->keys[j].phrase);
	}
	return (ferror(stdout) ? 1 : 0);
}
