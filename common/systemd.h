/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Whether a systemd unit is installed, enabled or masked, read from the
 * unit files and symlinks under a root prefix, so that it answers the
 * same on the live host and on an image (no systemctl, no D-Bus).
 *
 * What counts:
 *  - installed: a unit file named unit (or one of its aliases) exists in
 *    /etc/systemd/system, /lib/systemd/system or /usr/lib/systemd/system;
 *  - enabled: a link named unit or an alias (or a link whose target's
 *    file name is unit) sits in a /etc/systemd/system/<x>.wants or
 *    <x>.requires directory, and the unit is not masked.  Static units
 *    pulled in by the vendor's own .wants directories also count;
 *  - masked: /etc/systemd/system/<unit> is a symlink to /dev/null.
 *
 * Aliases are the names from the unit's Alias= lines, for example
 * chrony.service has the alias chronyd.service; pass them so that
 * either spelling is found.
 */
#ifndef SYSTEMD_H
#define SYSTEMD_H

struct unit_state {
	int	 installed;
	int	 enabled;
	int	 masked;
	char	*file;		/* host path of the unit file, or NULL */
	char	*link;		/* host path of the enabling link, or NULL */
};

/*
 * Fills st for unit ("chrony.service"); aliases is NULL or a
 * NULL-terminated list.  Returns 0, or -1 with *cause set when
 * /etc/systemd/system exists but cannot be read.  Free with
 * systemd_unit_clear().
 */
int	 systemd_unit_state(const char *root, const char *unit,
	    const char *const *aliases, struct unit_state *st, char **cause);
void	 systemd_unit_clear(struct unit_state *);

#endif
