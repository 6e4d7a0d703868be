package io.kvstore.server.config;

/** A bad setting: the message names the setting, the bad value and where it came from. */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
