/* PLACEHOLDER: debversion is being written. */
