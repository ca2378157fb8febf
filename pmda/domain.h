/*
 * The power agent's performance metrics domain, from the end-user range
 * 385-510. The symbol is not POWER: <stdpmid> already defines POWER (34)
 * and pmdaproc.sh would key the help text to that domain.
 */
#define PCPPOWER 390
#define POWER_DOMAIN PCPPOWER
