/* PLACEHOLDER: gvdb is being written. */
