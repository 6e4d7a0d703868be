package io.kvstore.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * What every kvctl subcommand shares: the root's global options, the output writer, JSON printing. A subcommand
 * implements {@link #call()} and returns an exit code of {@link ExitCodes}.
 */
abstract class CtlCommand implements Callable<Integer> {

    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @ParentCommand
    KvctlMain root;

    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    boolean json() {
        return root.json;
    }

    /** Prints {@code value} as indented JSON. */
    void printJson(Object value) {
        try {
            out().println(PRETTY.writeValueAsString(value));
            out().flush();
        } catch (JsonProcessingException e) {
            throw new CliException(ExitCodes.SERVER_ERROR, "cannot print JSON: " + e.getMessage(), e);
        }
    }
}
