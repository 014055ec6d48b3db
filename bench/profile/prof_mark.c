// SPDX-License-Identifier: GPL-2.0
/* prof_mark start|stop: the marker instructions the icount_prof plugin watches. */
#include <string.h>

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "start"))
		asm volatile(".byte 0x0f, 0x1f, 0x80, 'D', 'S', 'T', 'A'");
	else if (argc == 2 && !strcmp(argv[1], "stop"))
		asm volatile(".byte 0x0f, 0x1f, 0x80, 'D', 'S', 'T', 'O'");
	else
		return 2;
	return 0;
}
