package io.liandan.llm.data.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.expression.ExpressionStrategy;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.IfTag;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import com.hubspot.jinjava.mode.ExecutionMode;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.output.RenderedOutputNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * A Jinjava configured to render as transformers' jinja2 environment does ({@code
 * ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} plus its {@code tojson},
 * {@code raise_exception}, {@code strftime_now} and {@code generation}). Every setting here fixes a
 * difference measured against transformers' output; see shared/DESIGN.md.
 */
final class JinjaEnv {
  private JinjaEnv() {}

  static Jinjava create() {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PyStringResolver()); // before Jinjava's: Python semantics win
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            // trim_blocks and lstrip_blocks (transformers turns both on) are applied by
            // TemplateSource: Jinjava's lstrip also strips after text on the line
            .withTrimBlocks(false)
            .withLstripBlocks(false)
            .withKeepTrailingNewline(true) // jinja2 strips the source's newline, not the output's
            .withNestedInterpretationEnabled(false) // SECURITY: "{{ … }}" in a message is text
            .withLegacyOverrides(
                LegacyOverrides.newBuilder()
                    .withUseTrimmingForNotesAndExpressions(true) // else "{{-" does not trim
                    .withParseWhitespaceControlStrictly(true) // "{{ -1 }}" is minus one, not a trim
                    .build())
            .withExecutionMode(new PyExecutionMode())
            .withElResolver(resolver)
            .withFailOnUnknownTokens(false) // undefined renders as "", as jinja2's Undefined
            .build();
    Jinjava jinjava = new PyJinjava(config);
    // SECURITY: {% include %}, {% import %} and {% extends %} read nothing (Jinjava's default
    // reads classpath resources); transformers' sandbox has no loader either
    jinjava.setResourceLocator(
        (name, encoding, interpreter) -> {
          throw new ResourceNotFoundException("chat templates cannot load " + name);
        });
    jinjava.registerTag(new PyIfTag());
    jinjava.registerTag(new GenerationTag());
    jinjava.registerExpTest(new PyTest("iterable", Py::isIterable));
    jinjava.registerExpTest(new PyTest("sequence", Py::isSequence));
    jinjava.registerFilter(new TojsonFilter());
    jinjava.registerFilter(new TrimFilter());
    jinjava.registerFilter(new ItemsFilter());
    jinjava.registerFunction(
        new ELFunctionDefinition(
            "", "raise_exception", JinjaEnv.class, "raiseException", String.class));
    jinjava.registerFunction(
        new ELFunctionDefinition("", "strftime_now", JinjaEnv.class, "strftimeNow", String.class));
    return jinjava;
  }

  /** Thrown by the template's own {@code raise_exception(message)}. */
  static final class Raised extends RuntimeException {
    Raised(String message) {
      super(message, null, false, false);
    }
  }

  static Object raiseException(String message) {
    throw new Raised(message);
  }

  static String strftimeNow(String format) {
    return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ROOT);
  }

  /**
   * Python truthiness in {@code and}, {@code or}, {@code not} and {@code x if c else y}, and
   * jinja2's precedence for {@code not}: {@code not a == b} is {@code not (a == b)}.
   */
  private static final class PyJinjava extends Jinjava {
    private final ExpressionFactory factory =
        new ExpressionFactoryImpl(
            new TreeStore(
                new PyBuilder(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS),
                new Cache(1000)),
            new PyTypeConverter());

    PyJinjava(JinjavaConfig config) {
      super(config);
    }

    @Override
    public ExpressionFactory getExpressionFactory() {
      return factory;
    }
  }

  private static final class PyTypeConverter extends TruthyTypeConverter {
    @Override
    protected Boolean coerceToBoolean(Object value) {
      return Py.truth(value);
    }
  }

  private static final class PyBuilder extends ExtendedSyntaxBuilder {
    PyBuilder(Feature... features) {
      super(features);
    }

    @Override
    protected Parser createParser(String expression) {
      return new PyParser(this, expression);
    }
  }

  private static final class PyParser extends ExtendedParser {
    PyParser(Builder context, String input) {
      super(context, input);
    }

    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator op) {
      return super.createAstBinary(left, right, op == AstBinary.AND ? PY_AND : op);
    }

    @Override
    protected AstNode unary(boolean required) throws Scanner.ScanException, ParseException {
      if (getToken().getSymbol() == Scanner.Symbol.NOT) {
        consumeToken();
        return createAstUnary(eq(true), AstUnary.NOT);
      }
      return super.unary(required);
    }
  }

  /** Python's {@code a and b}: a if a is false, else b (EL's returns a boolean). */
  private static final AstBinary.Operator PY_AND =
      (bindings, context, left, right) -> {
        Object l = left.eval(bindings, context);
        return Py.truth(l) ? right.eval(bindings, context) : l;
      };

  /** Prints {@code {{ x }}} as Python's {@code str(x)}, and never renders the result again. */
  private static final class PyExecutionMode implements ExecutionMode {
    @Override
    public void prepareContext(Context context) {
      context.setExpressionStrategy(new PyExpressionStrategy());
    }
  }

  private static final class PyExpressionStrategy implements ExpressionStrategy {
    @Override
    public RenderedOutputNode interpretOutput(
        ExpressionToken token, JinjavaInterpreter interpreter) {
      Object value = interpreter.resolveELExpression(token.getExpr(), token.getLineNumber());
      return new RenderedOutputNode(Py.str(value));
    }
  }

  /** A jinja2 test ({@code x is iterable}) where Jinjava's answer differs from Python's. */
  private record PyTest(String name, Predicate<Object> test) implements ExpTest {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
      return test.test(var);
    }
  }

  /** {@code if}/{@code elif} with Python truthiness. */
  private static final class PyIfTag extends IfTag {
    @Override
    public boolean isPositiveIfElseNode(TagNode tagNode, JinjavaInterpreter interpreter) {
      return Py.truth(
          interpreter.resolveELExpression(
              tagNode.getHelpers(), tagNode.getLineNumber(), tagNode.getStartPosition()));
    }
  }

  /** transformers' {@code {% generation %}…{% endgeneration %}}: marks, and renders, its body. */
  private static final class GenerationTag implements Tag {
    @Override
    public String getName() {
      return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder sb = new StringBuilder();
      for (Node child : tagNode.getChildren()) {
        sb.append(child.render(interpreter));
      }
      return sb.toString();
    }
  }

  /** transformers' tojson: {@code json.dumps(x, ensure_ascii=False, indent, sort_keys)}. */
  private static final class TojsonFilter implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return PyJson.dumps(var);
    }

    @Override
    public Object filter(
        Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
      String indentText =
          indent == null
              ? null
              : indent instanceof Number n ? " ".repeat(n.intValue()) : indent.toString();
      boolean ensureAscii = Py.truth(kwargs.getOrDefault("ensure_ascii", false));
      boolean sortKeys = Py.truth(kwargs.getOrDefault("sort_keys", false));
      for (String k : kwargs.keySet()) {
        if (!k.equals("indent") && !k.equals("ensure_ascii") && !k.equals("sort_keys")) {
          throw new IllegalArgumentException("tojson() got an unexpected keyword argument " + k);
        }
      }
      return PyJson.dumps(var, ensureAscii, indentText, sortKeys);
    }
  }

  /** jinja2's {@code d|items}: the (key, value) pairs, for {@code for k, v in d|items}. */
  private static final class ItemsFilter implements Filter {
    @Override
    public String getName() {
      return "items";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (var == null) {
        return List.of();
      }
      if (!(var instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("items filter: not a mapping");
      }
      return new ArrayList<>(m.entrySet());
    }
  }

  /** {@code trim} as jinja2's: Python's {@code str.strip(chars)}. */
  private static final class TrimFilter implements Filter {
    @Override
    public String getName() {
      return "trim";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      return var == null ? null : PyStrings.strip(var.toString(), args.length > 0 ? args[0] : null);
    }
  }
}
