/* PLACEHOLDER: sshdconf is being written. */
