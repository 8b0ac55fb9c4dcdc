/* PLACEHOLDER: aptlists is being written. */
