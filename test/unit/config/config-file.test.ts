import { chooseConfigFile, describeConfigChoice, SERVICE_CONFIG_FILE } from '../../../src/config/config-file';

describe('which config file a command reads', () => {
  const installed = (p: string) => p === SERVICE_CONFIG_FILE;
  const none = () => false;

  test('a named file wins over everything', () => {
    expect(chooseConfigFile('my.yaml', { LOOKOUT_CONFIG: 'env.yaml' }, installed)).toEqual({ file: 'my.yaml', source: 'argument' });
  });

  test('then $LOOKOUT_CONFIG', () => {
    expect(chooseConfigFile(undefined, { LOOKOUT_CONFIG: 'env.yaml' }, installed)).toEqual({ file: 'env.yaml', source: 'LOOKOUT_CONFIG' });
  });

  test("then the installed service's file when it exists", () => {
    const choice = chooseConfigFile(undefined, {}, installed);
    expect(choice).toEqual({ file: SERVICE_CONFIG_FILE, source: 'installed service' });
    expect(describeConfigChoice(choice)).toContain('/etc/lookout/config.yaml');
  });

  test('else embedded defaults, and an empty $LOOKOUT_CONFIG asks for them even on a device', () => {
    expect(chooseConfigFile(undefined, {}, none)).toEqual({ source: 'none' });
    expect(chooseConfigFile(undefined, { LOOKOUT_CONFIG: '' }, installed)).toEqual({ source: 'none' });
    expect(describeConfigChoice({ source: 'none' })).toMatch(/embedded defaults/);
  });
});
