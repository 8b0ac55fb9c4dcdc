/* PLACEHOLDER: lz4frame is being written. */
